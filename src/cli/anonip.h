/* anonip.h -- `logscrub --compat=anonip`: a drop-in for anonip 1.1.
 *
 * Accepts anonip 1.1's command line and writes the same bytes anonip would
 * for ordinary input, so `CustomLog "|anonip ..."` becomes
 * `CustomLog "|logscrub --compat=anonip ..."`.  Where anonip 1.1 leaks an
 * address or crashes, this front end masks and carries on instead; every
 * address outside the configured columns is masked too.  The differences
 * are listed in doc/anonip-compat.md.
 */
#ifndef LS_ANONIP_H
#define LS_ANONIP_H

/* Runs the anonip-compatible filter.  argv[0] is the program name used in
 * nothing but help text; argv[1..argc-1] are anonip options (the
 * --compat=anonip argument already removed).  Reads --input FILE or stdin,
 * writes -o FILE (appending, created 0640) or stdout, and returns a
 * <sysexits.h> code: EX_OK, EX_USAGE for a bad option, EX_NOINPUT when
 * --input cannot be opened, EX_CANTCREAT when -o cannot be opened, EX_IOERR
 * on a read or write failure, EX_SOFTWARE when out of memory.  A closed
 * output pipe ends the run quietly with EX_OK.  Errors are one line on
 * stderr starting "logscrub: " and never contain log text.
 *
 * Installs handlers for SIGHUP (reopen -o FILE between lines), SIGTERM and
 * SIGINT (finish what was read, flush, return EX_OK), and ignores SIGPIPE;
 * it is meant to be called once, from main. */
int anonip_main(int argc, char **argv);

#endif /* LS_ANONIP_H */
