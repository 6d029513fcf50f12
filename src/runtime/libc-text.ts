/**
 * What glibc's strerror(), strsignal() and inet_ntop()/inet_pton() answer, for the functions
 * of the same purpose in scripts (strerror, signal_name, ntop, pton).
 */

/** glibc's messages for Linux errno values 1..40 (the ones a traced program meets). */
const ERRNO_MESSAGES: readonly string[] = [
  "Success",
  "Operation not permitted",
  "No such file or directory",
  "No such process",
  "Interrupted system call",
  "Input/output error",
  "No such device or address",
  "Argument list too long",
  "Exec format error",
  "Bad file descriptor",
  "No child processes",
  "Resource temporarily unavailable",
  "Cannot allocate memory",
  "Permission denied",
  "Bad address",
  "Block device required",
  "Device or resource busy",
  "File exists",
  "Invalid cross-device link",
  "No such device",
  "Not a directory",
  "Is a directory",
  "Invalid argument",
  "Too many open files in system",
  "Too many open files",
  "Inappropriate ioctl for device",
  "Text file busy",
  "File too large",
  "No space left on device",
  "Illegal seek",
  "Read-only file system",
  "Too many links",
  "Broken pipe",
  "Numerical argument out of domain",
  "Numerical result out of range",
  "Resource deadlock avoided",
  "File name too long",
  "No locks available",
  "Function not implemented",
  "Directory not empty",
  "Too many levels of symbolic links",
];

export function strerror(errno: number): string {
  return ERRNO_MESSAGES[errno] ?? `Unknown error ${errno}`;
}

/** glibc's strsignal() descriptions of signals 1..31. */
const SIGNAL_DESCRIPTIONS: readonly string[] = [
  "Unknown signal 0",
  "Hangup",
  "Interrupt",
  "Quit",
  "Illegal instruction",
  "Trace/breakpoint trap",
  "Aborted",
  "Bus error",
  "Floating point exception",
  "Killed",
  "User defined signal 1",
  "Segmentation fault",
  "User defined signal 2",
  "Broken pipe",
  "Alarm clock",
  "Terminated",
  "Stack fault",
  "Child exited",
  "Continued",
  "Stopped (signal)",
  "Stopped",
  "Stopped (tty input)",
  "Stopped (tty output)",
  "Urgent I/O condition",
  "CPU time limit exceeded",
  "File size limit exceeded",
  "Virtual timer expired",
  "Profiling timer expired",
  "Window changed",
  "I/O possible",
  "Power failure",
  "Bad system call",
];

/** Linux's real-time signals are 32..64; glibc keeps 32 and 33 for itself (SIGRTMIN is 34). */
export function signalName(sig: number): string {
  if (sig < 0 || sig > 64) return "N/A";
  if (sig < SIGNAL_DESCRIPTIONS.length) return SIGNAL_DESCRIPTIONS[sig]!;
  return sig < 34 ? `Unknown signal ${sig}` : `Real-time signal ${sig - 34}`;
}

export const AF_INET6 = 10;

/** An IPv4 address from its four bytes in network order. */
export function ntop4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** An IPv6 address as inet_ntop writes it: the longest run of two or more zero groups is `::`. */
export function ntop6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}
