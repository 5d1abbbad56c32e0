/* Defines what plan/p.c calls: a downward call. */
int fixture_a(void);
int fixture_a(void)
{
    return 1;
}
