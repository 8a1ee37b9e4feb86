/*
 * fuzz.h - helpers shared by the libFuzzer targets in this directory.
 *
 * fuzz_quiet() silences the log (every line still reaches a sink, which
 * a target may install to check what would be logged). fuzz_file()
 * writes one input to a private temp file (mode 0600, removed at exit)
 * and returns its path, for the parsers that take a file name: the same
 * code path as production, no test-only entry point.
 */
#ifndef DANEROLL_FUZZ_H
#define DANEROLL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
void		 fuzz_quiet(void);
/* fuzz_quiet, and any log line that quotes secret aborts the run. */
void		 fuzz_never_logs(const char *secret);
const char	*fuzz_file(const uint8_t *, size_t);
/* A NUL-terminated malloc'd copy of data; caller frees. */
char		*fuzz_str(const uint8_t *, size_t);

#endif
