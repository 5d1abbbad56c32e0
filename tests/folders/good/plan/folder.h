/* folder.h of a fixture of tests/folders/check_folders.c.
 *
 * Calls: base.
 *
 *   p.c  a file of the fixture
 */
