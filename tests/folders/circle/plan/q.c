/* Calls p.c back: the loop. */
int fixture_p(int n);
int fixture_q(int n);
int fixture_q(int n)
{
    return n > 0 ? fixture_p(n - 1) : 1;
}
