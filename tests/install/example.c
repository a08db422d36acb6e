/* example.c -- the smallest complete user of liblogscrub: the built-in
 * policy, one worker, one line.  tests/install.sh builds it against a
 * staged `make install` with nothing but <logscrub.h> and
 * `pkg-config --cflags --libs logscrub`, shared and static, and compares
 * what it prints with example.out. */
#include <logscrub.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    static const char line[] = "client 203.0.113.195 GET /login?email=jane.doe@example.com";
    int rc = 1;
    ls_worker *w = NULL;
    ls_policy *p = ls_policy_new();
    if (p == NULL)
        return 1;
    ls_status st = ls_policy_load_default(p);
    if (st != LS_OK) {
        fprintf(stderr, "example: %s: %s\n", ls_strerror(st), ls_policy_error(p));
        goto cleanup;
    }
    if ((w = ls_worker_new(p)) == NULL)
        goto cleanup;

    const char *out;
    size_t len;
    st = ls_scrub(w, line, strlen(line), &out, &len);
    if (st == LS_OK) {
        fwrite(out, 1, len, stdout); /* (out, len): a line may hold NUL bytes */
        putchar('\n');
    } else if (st == LS_DROPPED)
        printf("(dropped)\n");
    else {
        fprintf(stderr, "example: %s\n", ls_strerror(st));
        goto cleanup;
    }

    printf("lines %llu, ipv4 %llu, ipv6 %llu\n",
           (unsigned long long)ls_worker_counter(w, LS_COUNT_LINES),
           (unsigned long long)ls_worker_counter(w, LS_COUNT_IPV4),
           (unsigned long long)ls_worker_counter(w, LS_COUNT_IPV6));
    printf("%s\n", ls_strerror(st));
    rc = 0;
cleanup:
    ls_worker_free(w);
    ls_policy_free(p);
    return rc;
}
