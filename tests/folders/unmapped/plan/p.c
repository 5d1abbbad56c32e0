/* A mapped file. */
int fixture_p(void);
int fixture_p(void)
{
    return 1;
}
