#!/usr/bin/env bash
# tests/abi.sh -- liblogscrub.so exports exactly the functions declared in
# src/logscrub.h: an internal name (ip_scan, rules_apply, ...) leaking into
# an application's namespace, or an API function left hidden, fails here.
# liblogscrub.a likewise defines no other global name (Makefile.am makes
# its internals local).  Also checks the soname that -version-info 0:0:0 gives.
. "$(dirname "$0")/lib.sh"
require nm readelf perl sort comm

SO="$top_builddir/.libs/liblogscrub.so"
HEADER="$top_srcdir/src/logscrub.h"
if [ ! -e "$SO" ]; then
    echo "$T_SUITE: skipped: no $SO (configured with --disable-shared?)"
    exit 77
fi

# The function names the header declares: ls_ names followed by '(' once
# comments are gone (so a name only mentioned in a comment does not count;
# typedefs of function pointers read "(*ls_x_fn)(" and do not match).
perl -0777 -ne 's{/\*.*?\*/}{}gs; print "$1\n" while /\b(ls_[a-z0-9_]*)\s*\(/g' "$HEADER" |
    sort -u >"$T/declared"
nm -D --defined-only "$SO" | awk '{ print $NF }' | sort -u >"$T/exported"

t_begin "the header declares functions (the parse found them)"
[ "$(wc -l <"$T/declared")" -ge 20 ] || t_fail "only $(wc -l <"$T/declared") names parsed from $HEADER"
grep -qx ls_scrub "$T/declared" || t_fail "ls_scrub not among the parsed names"
t_end

t_begin "nothing is exported that the header does not declare"
comm -13 "$T/declared" "$T/exported" >"$T/extra"
if [ -s "$T/extra" ]; then
    t_fail "exported but not in logscrub.h: $(tr '\n' ' ' <"$T/extra")"
fi
t_end

t_begin "every declared function is exported"
comm -23 "$T/declared" "$T/exported" >"$T/missing"
if [ -s "$T/missing" ]; then
    t_fail "declared but not exported (LS_API missing?): $(tr '\n' ' ' <"$T/missing")"
fi
t_end

# The archive: one object whose global definitions are the API and, in an
# instrumented build, the compiler's own (__asan_*, __gcov_*: reserved
# names, never an application's).
A="$top_builddir/.libs/liblogscrub.a"
if [ -e "$A" ]; then
    t_begin "liblogscrub.a defines no global name the header does not declare"
    nm -g --defined-only "$A" | awk 'NF == 3 { print $3 }' | grep -v '^__' | sort -u >"$T/archived"
    comm -13 "$T/declared" "$T/archived" >"$T/extra"
    [ -s "$T/extra" ] && t_fail "global in liblogscrub.a but not in logscrub.h: $(tr '\n' ' ' <"$T/extra")"
    comm -23 "$T/declared" "$T/archived" >"$T/missing"
    [ -s "$T/missing" ] && t_fail "declared but not in liblogscrub.a: $(tr '\n' ' ' <"$T/missing")"
    t_end
else
    echo "# no $A (configured with --disable-static?): archive not checked"
fi

t_begin "soname is liblogscrub.so.0"
readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p' >"$T/out"
expect_out_str 'liblogscrub.so.0\n'
t_end

t_finish
