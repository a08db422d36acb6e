#!/usr/bin/env bash
# tests/install.sh -- the installed library is usable on its own: `make
# install DESTDIR=...` stages the configured prefix, and tests/install/
# example.c, which includes nothing of ours but <logscrub.h>, is compiled
# with `pkg-config --cflags --libs logscrub` against the staged tree, linked
# shared and static, and run; its output must match example.out.
#
# Static means liblogscrub.a, and also libc, PCRE2, libyaml and libsodium
# when their archives exist (Debian ships all of them) and the build is not
# instrumented: ASan and UBSan have no fully static runtime, so a sanitizer
# build links liblogscrub.a statically and the rest dynamically.
#
# Needs the variables make check exports (MAKE, CC, INST_*); from a
# read-only source tree (make distcheck) it writes only to the build tree's
# own install step and to $T.
. "$(dirname "$0")/lib.sh"
: "${CC:=cc}" "${MAKE:=make}" "${PKG_CONFIG:=pkg-config}"
require "$CC" "$MAKE" "$PKG_CONFIG" readelf
for v in INST_BINDIR INST_LIBDIR INST_INCLUDEDIR INST_MANDIR INST_PKGCONFIGDIR; do
    if [ -z "${!v:-}" ]; then
        echo "$T_SUITE: skipped: $v not set (run through make check)"
        exit 77
    fi
done

STAGE=$T/stage
SRC=$top_srcdir/tests/install/example.c
EXPECTED=$top_srcdir/tests/install/example.out
# Instrumented builds put their runtime's symbols in the library; the
# example has to link that runtime too.
read -r -a LINK_EXTRA <<<"${LS_LDFLAGS:-}"
# The staged .pc file and ours only; the dependencies' .pc files stay where
# the system has them, and the sysroot is prepended to our paths.
pc() {
    PKG_CONFIG_PATH=$STAGE$INST_PKGCONFIGDIR PKG_CONFIG_SYSROOT_DIR=$STAGE \
        "$PKG_CONFIG" "$@" logscrub
}

t_begin "make install DESTDIR stages exactly the expected files"
# The outer make's jobserver is not ours to share: a clean sub-make.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -s -C "$top_builddir" install DESTDIR="$STAGE" \
    >"$T/install.log" 2>&1
RC=$?
if [ "$RC" -ne 0 ]; then
    t_fail "make install failed ($RC):"
    t_fail "$(tail -n 20 "$T/install.log")"
fi
(cd "$STAGE" && find . ! -type d | sed 's/^\.//' | sort) >"$T/out"
sort >"$T/expected" <<LIST
$INST_BINDIR/logscrub
$INST_INCLUDEDIR/logscrub.h
$INST_LIBDIR/liblogscrub.a
$INST_LIBDIR/liblogscrub.la
$INST_LIBDIR/liblogscrub.so
$INST_LIBDIR/liblogscrub.so.0
$INST_LIBDIR/liblogscrub.so.0.0.0
$INST_PKGCONFIGDIR/logscrub.pc
$INST_MANDIR/man1/logscrub.1
$INST_MANDIR/man3/liblogscrub.3
$INST_MANDIR/man5/logscrub-policy.5
$INST_PKGDATADIR/README.md
$INST_PKGDATADIR/default.yaml
$INST_PKGDATADIR/pii.yaml
$INST_PKGDATADIR/pii-de.yaml
$INST_PKGDATADIR/secrets.yaml
$INST_PKGDATADIR/secrets-extra.yaml
$INST_CONFDIR/policy.yaml
LIST
expect_out "$T/expected"
t_end

t_begin "pkg-config --libs and --cflags logscrub point into the staged tree"
pc --libs >"$T/out" 2>"$T/err"
# pkg-config ends the line with a space.
sed -i 's/ *$//' "$T/out"
printf -- '-L%s -llogscrub\n' "$STAGE$INST_LIBDIR" >"$T/expected"
expect_out "$T/expected"
# --cflags also gives the dependencies' (Requires.private) flags, with the
# sysroot prepended to them as well; ours comes first.
pc --cflags | awk '{ print $1 }' >"$T/out" 2>"$T/err"
printf -- '-I%s\n' "$STAGE$INST_INCLUDEDIR" >"$T/expected"
expect_out "$T/expected"
t_end

t_begin "pkg-config --static adds PCRE2, libyaml and libsodium"
pc --static --libs >"$T/out" 2>"$T/err"
for l in -llogscrub -lpcre2-8 -lyaml -lsodium; do
    grep -qw -- "$l" "$T/out" || t_fail "no $l in: $(cat "$T/out")"
done
t_end

# read -a splits the flags pkg-config prints (paths with spaces are not
# supported by pkg-config either).
read -r -a CFLAGS_LIBS < <(pc --cflags --libs)
read -r -a STATIC_CFLAGS_LIBS < <(pc --static --cflags --libs)

t_begin "shared: builds, needs liblogscrub.so.0, prints the scrubbed line"
if "$CC" -o "$T/ex-shared" "$SRC" "${CFLAGS_LIBS[@]}" "${LINK_EXTRA[@]}" 2>"$T/err"; then
    readelf -d "$T/ex-shared" | grep -q 'NEEDED.*\[liblogscrub\.so\.0\]' ||
        t_fail "ex-shared does not need liblogscrub.so.0"
    LD_LIBRARY_PATH=$STAGE$INST_LIBDIR "$T/ex-shared" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 0
    expect_out "$EXPECTED"
else
    t_fail "compile failed: $(head -n 5 "$T/err")"
fi
t_end

t_begin "static liblogscrub.a: builds, runs without the staged .so"
# The archive by name: -llogscrub would take the .so next to it.
args=()
for a in "${STATIC_CFLAGS_LIBS[@]}"; do
    [ "$a" = -llogscrub ] && a=$STAGE$INST_LIBDIR/liblogscrub.a
    args+=("$a")
done
if "$CC" -o "$T/ex-static" "$SRC" "${args[@]}" "${LINK_EXTRA[@]}" 2>"$T/err"; then
    readelf -d "$T/ex-static" | grep -q 'NEEDED.*liblogscrub' &&
        t_fail "ex-static still needs liblogscrub.so"
    "$T/ex-static" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 0
    expect_out "$EXPECTED"
else
    t_fail "compile failed: $(head -n 5 "$T/err")"
fi
t_end

have_archives() {
    local l
    for l in libc.a libpcre2-8.a libyaml.a libsodium.a; do
        [ "$("$CC" -print-file-name="$l")" != "$l" ] || return 1
    done
}
if [ "${LS_SANITIZERS:-no}" = yes ]; then
    echo "# fully static link not tried: the sanitizer runtimes cannot be linked statically"
elif ! have_archives; then
    echo "# fully static link not tried: libc.a, libpcre2-8.a, libyaml.a or libsodium.a missing"
else
    t_begin "fully static (-static): builds, no dynamic section, prints the scrubbed line"
    if "$CC" -static -o "$T/ex-full" "$SRC" "${STATIC_CFLAGS_LIBS[@]}" "${LINK_EXTRA[@]}" \
        2>"$T/err"; then
        readelf -d "$T/ex-full" 2>&1 | grep -q 'There is no dynamic section' ||
            t_fail "ex-full is dynamically linked: $(readelf -d "$T/ex-full" | grep NEEDED)"
        env -i "$T/ex-full" >"$T/out" 2>"$T/err"
        RC=$?
        expect_rc 0
        expect_out "$EXPECTED"
    else
        t_fail "compile failed: $(head -n 5 "$T/err")"
    fi
    t_end
fi

t_finish
