/**
 * The C headers probelab ships, for `#include <...>` in scripts: the constants and types a
 * tracer of the simulated process and kernel needs, with the values x86-64 Linux gives them,
 * and the headers bpftrace's own tools include. Kernel structs the model has no data for
 * (sockets, block devices) carry only the members the tools read, at the kernel's offsets where
 * the layout is stable. `struct task_struct` is not here: the model's own definition (see
 * kernel-structs.ts) is what `linux/sched.h` stands for.
 */

const SCHED = `
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H
/* task_struct: the model's own definition applies (probelab kernel-structs). */
#define TASK_COMM_LEN 16
#define TASK_RUNNING 0x00000000
#define TASK_INTERRUPTIBLE 0x00000001
#define TASK_UNINTERRUPTIBLE 0x00000002
#define __TASK_STOPPED 0x00000004
#define __TASK_TRACED 0x00000008
#define EXIT_DEAD 0x00000010
#define EXIT_ZOMBIE 0x00000020
#define EXIT_TRACE (EXIT_ZOMBIE | EXIT_DEAD)
#define TASK_PARKED 0x00000040
#define TASK_DEAD 0x00000080
#define TASK_WAKEKILL 0x00000100
#define TASK_WAKING 0x00000200
#define TASK_NOLOAD 0x00000400
#define TASK_NEW 0x00000800
#define TASK_RTLOCK_WAIT 0x00001000
#define TASK_FREEZABLE 0x00002000
#define TASK_FROZEN 0x00008000
#define TASK_STATE_MAX 0x00010000
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_STOPPED (TASK_WAKEKILL | __TASK_STOPPED)
#define TASK_TRACED __TASK_TRACED
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
#define CSIGNAL 0x000000ff
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#endif
`;

const SOCKET = `
#ifndef _LINUX_SOCKET_H
#define _LINUX_SOCKET_H
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_LOCAL 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define PF_UNSPEC AF_UNSPEC
#define PF_UNIX AF_UNIX
#define PF_LOCAL AF_LOCAL
#define PF_INET AF_INET
#define PF_INET6 AF_INET6
#define PF_NETLINK AF_NETLINK
#define PF_PACKET AF_PACKET
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
struct sockaddr {
  unsigned short sa_family;
  char sa_data[14];
};
#endif
`;

const IN = `
#ifndef _LINUX_IN_H
#define _LINUX_IN_H
#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_RAW 255
#define INADDR_ANY 0x00000000
#define INADDR_LOOPBACK 0x7f000001
#define INADDR_BROADCAST 0xffffffff
struct in_addr {
  unsigned int s_addr;
};
struct sockaddr_in {
  unsigned short sin_family;
  unsigned short sin_port;
  struct in_addr sin_addr;
  unsigned char __pad[8];
};
#endif
`;

const IN6 = `
#ifndef _LINUX_IN6_H
#define _LINUX_IN6_H
struct in6_addr {
  unsigned char s6_addr[16];
};
struct sockaddr_in6 {
  unsigned short sin6_family;
  unsigned short sin6_port;
  unsigned int sin6_flowinfo;
  struct in6_addr sin6_addr;
  unsigned int sin6_scope_id;
};
#endif
`;

const FCNTL = `
#ifndef _ASM_GENERIC_FCNTL_H
#define _ASM_GENERIC_FCNTL_H
#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_NOCTTY 00000400
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DSYNC 00010000
#define FASYNC 00020000
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define __O_SYNC 04000000
#define O_SYNC (__O_SYNC | O_DSYNC)
#define O_PATH 010000000
#define __O_TMPFILE 020000000
#define O_TMPFILE (__O_TMPFILE | O_DIRECTORY)
#define O_NDELAY O_NONBLOCK
#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#endif
`;

const FS = `
#ifndef _LINUX_FS_H
#define _LINUX_FS_H
#include <asm-generic/fcntl.h>
#define MAY_EXEC 0x00000001
#define MAY_WRITE 0x00000002
#define MAY_READ 0x00000004
#define MAY_APPEND 0x00000008
#endif
`;

const ERRNO_BASE = `
#ifndef _ASM_GENERIC_ERRNO_BASE_H
#define _ASM_GENERIC_ERRNO_BASE_H
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define ENOTBLK 15
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#endif
`;

const ERRNO = `
#ifndef _ASM_GENERIC_ERRNO_H
#define _ASM_GENERIC_ERRNO_H
#include <asm-generic/errno-base.h>
#define EDEADLK 35
#define ENAMETOOLONG 36
#define ENOLCK 37
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EWOULDBLOCK EAGAIN
#define ENOMSG 42
#define EIDRM 43
#define ENODATA 61
#define ETIME 62
#define EOVERFLOW 75
#define EILSEQ 84
#define EUSERS 87
#define ENOTSOCK 88
#define EDESTADDRREQ 89
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define EOPNOTSUPP 95
#define ENOTSUP EOPNOTSUPP
#define EAFNOSUPPORT 97
#define EADDRINUSE 98
#define EADDRNOTAVAIL 99
#define ENETDOWN 100
#define ENETUNREACH 101
#define ECONNABORTED 103
#define ECONNRESET 104
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113
#define EALREADY 114
#define EINPROGRESS 115
#define ESTALE 116
#define EDQUOT 122
#define ECANCELED 125
#define EOWNERDEAD 130
#define ENOTRECOVERABLE 131
#endif
`;

const TIME = `
#ifndef _LINUX_TIME_H
#define _LINUX_TIME_H
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 0x01
struct timespec {
  long tv_sec;
  long tv_nsec;
};
struct timeval {
  long tv_sec;
  long tv_usec;
};
#endif
`;

const SIGNAL = `
#ifndef _ASM_SIGNAL_H
#define _ASM_SIGNAL_H
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGIOT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPOLL SIGIO
#define SIGPWR 30
#define SIGSYS 31
#define SIGRTMIN 32
#define SIGRTMAX 64
#endif
`;

/** struct sock_common's first members at their kernel offsets (0..18), the IPv6 addresses at 56 and 72. */
const SOCK = `
#ifndef _SOCK_H
#define _SOCK_H
#include <linux/socket.h>
#include <linux/in6.h>
struct sock_common {
  unsigned int skc_daddr;
  unsigned int skc_rcv_saddr;
  unsigned int skc_hash;
  unsigned short skc_dport;
  unsigned short skc_num;
  unsigned short skc_family;
  unsigned char skc_state;
  unsigned char __probelab_gap[37];
  struct in6_addr skc_v6_daddr;
  struct in6_addr skc_v6_rcv_saddr;
};
struct sock {
  struct sock_common __sk_common;
};
#endif
`;

const TCP_STATES = `
#ifndef _LINUX_TCP_STATES_H
#define _LINUX_TCP_STATES_H
enum {
  TCP_ESTABLISHED = 1,
  TCP_SYN_SENT,
  TCP_SYN_RECV,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_TIME_WAIT,
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_LAST_ACK,
  TCP_LISTEN,
  TCP_CLOSING,
  TCP_NEW_SYN_RECV,
  TCP_MAX_STATES
};
#endif
`;

/** Headers whose kernel structs the model has no data for: present so includes resolve. */
function guardOnly(guard: string, includes: string[] = []): string {
  return `#ifndef ${guard}\n#define ${guard}\n${includes.map((h) => `#include <${h}>\n`).join("")}#endif\n`;
}

/** struct gendisk's first members at their kernel offsets. */
const GENHD = `
#ifndef _LINUX_GENHD_H
#define _LINUX_GENHD_H
#define DISK_NAME_LEN 32
struct gendisk {
  int major;
  int first_minor;
  int minors;
  char disk_name[DISK_NAME_LEN];
};
#endif
`;

/** One entry per header name a script may include; several names may share a text. */
export const SHIPPED_HEADERS: ReadonlyMap<string, string> = new Map([
  ["linux/types.h", guardOnly("_LINUX_TYPES_H")],
  ["linux/sched.h", SCHED],
  ["sched.h", guardOnly("_SCHED_H", ["linux/sched.h"])],
  ["linux/socket.h", SOCKET],
  ["sys/socket.h", guardOnly("_SYS_SOCKET_H", ["linux/socket.h"])],
  ["linux/in.h", IN],
  ["linux/in6.h", IN6],
  ["netinet/in.h", guardOnly("_NETINET_IN_H", ["linux/socket.h", "linux/in.h", "linux/in6.h"])],
  ["asm-generic/fcntl.h", FCNTL],
  ["linux/fcntl.h", guardOnly("_LINUX_FCNTL_H", ["asm-generic/fcntl.h"])],
  ["fcntl.h", guardOnly("_FCNTL_H", ["asm-generic/fcntl.h"])],
  ["linux/fs.h", FS],
  ["asm-generic/errno-base.h", ERRNO_BASE],
  ["asm-generic/errno.h", ERRNO],
  ["linux/errno.h", guardOnly("_LINUX_ERRNO_H", ["asm-generic/errno.h"])],
  ["errno.h", guardOnly("_ERRNO_H", ["asm-generic/errno.h"])],
  ["linux/time.h", TIME],
  ["time.h", guardOnly("_TIME_H", ["linux/time.h"])],
  ["asm/signal.h", SIGNAL],
  ["linux/signal.h", guardOnly("_LINUX_SIGNAL_H", ["asm/signal.h"])],
  ["signal.h", guardOnly("_SIGNAL_H", ["asm/signal.h"])],
  ["net/sock.h", SOCK],
  ["net/tcp_states.h", TCP_STATES],
  ["linux/tcp.h", guardOnly("_LINUX_TCP_H", ["net/sock.h"])],
  ["linux/skbuff.h", guardOnly("_LINUX_SKBUFF_H")],
  ["linux/oom.h", guardOnly("_LINUX_OOM_H", ["linux/sched.h"])],
  ["linux/genhd.h", GENHD],
  ["linux/blkdev.h", guardOnly("_LINUX_BLKDEV_H", ["linux/genhd.h"])],
  ["linux/blk-mq.h", guardOnly("_LINUX_BLK_MQ_H", ["linux/blkdev.h"])],
  ["linux/bio.h", guardOnly("_LINUX_BIO_H", ["linux/blkdev.h"])],
]);

export function shippedHeaderNames(): string[] {
  return [...SHIPPED_HEADERS.keys()].sort();
}
