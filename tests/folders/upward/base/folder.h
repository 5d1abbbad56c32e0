/* folder.h of a fixture of tests/folders/check_folders.c.
 *
 * Calls: nothing.
 *
 *   a.c  a file of the fixture
 */
