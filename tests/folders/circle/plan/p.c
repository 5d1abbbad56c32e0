/* The violation: p.c and q.c call each other (one folder, so only the
 * loop is wrong). */
int fixture_q(int n);
int fixture_p(int n);
int fixture_p(int n)
{
    return n > 0 ? fixture_q(n - 1) : 0;
}
