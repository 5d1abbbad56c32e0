/* Called from base: the upward call. */
int fixture_p(void);
int fixture_p(void)
{
    return 1;
}
