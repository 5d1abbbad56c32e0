/* Calls base/a.c: allowed by plan/folder.h. */
int fixture_a(void);
int fixture_p(void);
int fixture_p(void)
{
    return fixture_a() + 1;
}
