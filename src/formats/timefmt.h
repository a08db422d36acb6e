/* timefmt.h -- the log time formats: reading nginx's $time_local into Unix
 * time, and coarsening every timestamp of a line in place (time.precision).
 * Works on (pointer, length) text, never allocates, owns no state. */
#ifndef LS_TIMEFMT_H
#define LS_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of "10/Oct/2000:13:55:36 -0700". */
#define CLF_TIME_LEN 26

/* Parses s[0, n) as exactly a $time_local ("10/Oct/2000:13:55:36 -0700")
 * into seconds since the epoch (UTC).  Returns false for anything else,
 * out-of-range fields included. */
bool clf_time_parse(const char *s, size_t n, int64_t *unix_time);

enum time_precision { TIME_SECOND = 0, TIME_MINUTE, TIME_HOUR };

/* Zeroes what `precision` drops in every timestamp of s[0, n): a clock time
 * HH:MM:SS (with an optional ".fraction") right after a date in one of the
 * known forms -- ISO 8601 "2000-10-10T" or "2000-10-10 ", nginx error logs'
 * "2000/10/10 ", CLF's "10/Oct/2000:", syslog's "Oct 10 " (also " 1 " with
 * a space), Apache error logs' "[Tue Oct 10 " -- has its seconds (and
 * fraction) set to zero for TIME_MINUTE, its minutes too for TIME_HOUR.
 * The text keeps its length; zones are kept.  Returns how many timestamps
 * changed.  TIME_SECOND changes nothing. */
size_t time_cut_all(char *s, size_t n, enum time_precision precision);

#endif /* LS_TIMEFMT_H */
