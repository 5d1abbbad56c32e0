/* The violation: base calls plan, which base/folder.h does not allow. */
int fixture_p(void);
int fixture_a(void);
int fixture_a(void)
{
    return fixture_p();
}
