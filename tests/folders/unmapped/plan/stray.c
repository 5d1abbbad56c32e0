/* The violation: a file the map in plan/folder.h does not name. */
int fixture_stray(void);
int fixture_stray(void)
{
    return 2;
}
