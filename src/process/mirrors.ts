/**
 * Mirrors of real libraries and programs: the function symbols a workload binary gets with
 * `like: NAME`, so scripts written for a real system (`uprobe:libc:getaddrinfo`,
 * `uretprobe:libssl:SSL_read`) find what they expect. Names, file offsets and sizes are those
 * of the x86-64 builds Debian 12 ships (glibc 2.36, OpenSSL 3.0, readline 8.2, bash 5.2), read
 * from their dynamic symbol tables. Two kinds of entry are not from those tables:
 * - OpenSSL's local functions (`rsa_ossl_*`, `ossl_ecdsa_*`, `ossl_ecdh_*`) appear only with
 *   debug symbols; their offsets here are placed next to their public callers.
 * - `glibc-2.31` and `libpthread-2.31` mirror the split before glibc 2.34 moved the pthread
 *   functions into libc: libc keeps 2.36's offsets without them, and libpthread's are laid
 *   out by probelab (no Debian 12 file has them).
 */

/** [name, file offset (0 = lay out after the previous one), size, first instruction]. */
export type MirroredFunction = readonly [string, number, number, ("nop" | "push" | "ret")?];

export interface Mirror {
  /** What it stands for, for `probelab workloads` and messages. */
  describes: string;
  /** File size in bytes. */
  fileSize: number;
  functions: readonly MirroredFunction[];
}

const GLIBC: Mirror = {
  describes: "GNU C library 2.36 (libc.so.6), pthreads included as since 2.34",
  fileSize: 1926232,
  functions: [
    ["__libc_start_main", 0x27280, 0x141, "push"],
    ["setlocale", 0x32270, 0x5ee, "push"],
    ["sigaction", 0x3c010, 0x2c],
    ["exit", 0x3e680, 0x1a],
    ["getenv", 0x3f0b0, 0xcc, "push"],
    ["getline", 0x52020, 0xd],
    ["printf", 0x525b0, 0xc8],
    ["fwrite", 0x76ab0, 0x17a, "push"],
    ["puts", 0x77980, 0x195, "push"],
    ["dlclose", 0x84cd0, 0x3f],
    ["dlopen", 0x85500, 0x90],
    ["pthread_cond_signal", 0x87e20, 0x31d, "push"],
    ["pthread_cond_wait", 0x883f0, 0x2b0, "push"],
    ["pthread_create", 0x89380, 0xeed, "push"],
    ["pthread_join", 0x8ab80, 0xf],
    ["pthread_mutex_lock", 0x8c370, 0x2d6, "push"],
    ["pthread_mutex_unlock", 0x8dd50, 0xa],
    ["malloc", 0x98930, 0x317, "push"],
    ["free", 0x98ef0, 0x101, "push"],
    ["realloc", 0x99130, 0x4df, "push"],
    ["calloc", 0x996e0, 0x3b0, "push"],
    ["memcpy", 0x9be70, 0x109],
    ["memmove", 0x9c590, 0x109],
    ["memset", 0x9c840, 0xf1],
    ["strcmp", 0x9d700, 0x88],
    ["strdup", 0x9e990, 0x39, "push"],
    ["strlen", 0x9f1c0, 0x81],
    ["clock_gettime", 0xcf420, 0x6a],
    ["waitpid", 0xd3b90, 0x7],
    ["sleep", 0xd3d50, 0x6a, "push"],
    ["nanosleep", 0xd3e40, 0x31],
    ["fork", 0xd3e80, 0x4a4, "push"],
    ["_exit", 0xd43e0, 0x48],
    ["execve", 0xd4ad0, 0x21],
    ["getpid", 0xd54e0, 0x8],
    ["getaddrinfo", 0xefc70, 0x21b0, "push"],
    ["freeaddrinfo", 0xf1e20, 0x39, "push"],
    ["open", 0xf7fc0, 0x128, "push"],
    ["open64", 0xf7fc0, 0x128, "push"],
    ["read", 0xf82a0, 0x9d],
    ["write", 0xf8340, 0x9d],
    ["close", 0xf89e0, 0x8b],
    ["isatty", 0xf99b0, 0x3e],
    ["poll", 0xfc220, 0x9b],
    ["ioctl", 0xfdd30, 0x78],
    ["select", 0xfe8a0, 0x1e5, "push"],
    ["fsync", 0xfec10, 0x8b],
    ["usleep", 0xff250, 0x5f],
    ["mmap", 0x1019a0, 0x54],
    ["munmap", 0x101a00, 0x21],
    ["clone", 0x108b10, 0x5b],
    ["epoll_wait", 0x108ee0, 0xa3],
    ["accept", 0x10a6e0, 0x9b],
    ["bind", 0x10a780, 0x21],
    ["connect", 0x10a7b0, 0x9b],
    ["listen", 0x10a8e0, 0x21],
    ["recv", 0x10a910, 0xb5],
    ["recvfrom", 0x10a9d0, 0xbd],
    ["send", 0x10ab40, 0xb5],
    ["sendto", 0x10aca0, 0xbd],
    ["socket", 0x10adc0, 0x21],
    ["gethostbyaddr", 0x118520, 0x1b1, "push"],
    ["gethostbyaddr_r", 0x1186e0, 0x48d, "push"],
    ["gethostbyname", 0x118b70, 0x215, "push"],
    ["gethostbyname2", 0x118d90, 0x21d, "push"],
    ["gethostbyname2_r", 0x118fb0, 0x4b5, "push"],
    ["gethostbyname_r", 0x119470, 0x48d, "push"],
    ["inet_ntop", 0x128190, 0x382, "push"],
    ["inet_pton", 0x128870, 0x6b],
  ],
};

/** Before 2.34 the pthread functions lived in libpthread.so.0; the rest stayed where it is. */
const GLIBC_OLD: Mirror = {
  describes: "GNU C library as 2.31 and older export it: no pthreads (they are in libpthread.so.0)",
  fileSize: GLIBC.fileSize,
  functions: GLIBC.functions.filter(([name]) => !name.startsWith("pthread_")),
};

const LIBPTHREAD_STUB: Mirror = {
  describes: "libpthread.so.0 of glibc 2.36: an empty placeholder since 2.34 moved pthreads into libc",
  fileSize: 14480,
  functions: [["__libpthread_version_placeholder", 0x1100, 0x1]],
};

const LIBPTHREAD_OLD: Mirror = {
  describes: "libpthread.so.0 as glibc 2.31 and older export it (pthread_create lives here)",
  fileSize: 0,
  functions: [
    ["pthread_create", 0, 0x8c0, "push"],
    ["pthread_join", 0, 0x1b0, "push"],
    ["pthread_mutex_lock", 0, 0x2e0, "push"],
    ["pthread_mutex_unlock", 0, 0x1a0],
    ["pthread_cond_wait", 0, 0x2b0, "push"],
    ["pthread_cond_signal", 0, 0x120, "push"],
  ],
};

const LIBREADLINE: Mirror = {
  describes: "GNU readline 8.2 (libreadline.so.8), split from bash as Fedora and Arch ship it",
  fileSize: 354536,
  functions: [
    ["readline_internal_setup", 0x18d20, 0x19c, "push"],
    ["readline_internal_teardown", 0x18ec0, 0x144, "push"],
    ["readline_internal_char", 0x199c0, 0x308, "push"],
    ["rl_initialize", 0x1a040, 0x328, "push"],
    ["readline", 0x1a370, 0xa9, "push"],
    ["rl_getc", 0x369e0, 0x1e9, "push"],
    ["rl_newline", 0x3aff0, 0xec, "push"],
    ["using_history", 0x3c330, 0x13],
    ["add_history", 0x3c6f0, 0x244, "push"],
    ["history_expand", 0x3df50, 0x1ee9, "push"],
  ],
};

const BASH: Mirror = {
  describes: "GNU bash 5.2 linked against a shared libreadline (no readline of its own)",
  fileSize: 1265648,
  functions: [
    ["main", 0x2feb0, 0x1897, "push"],
    ["parse_command", 0x32580, 0x16a, "push"],
    ["reader_loop", 0x32830, 0x320, "push"],
    ["yyparse", 0x3bc60, 0x2326, "push"],
    ["shell_execve", 0x47130, 0x549, "push"],
    ["execute_command_internal", 0x47e00, 0x3c44, "push"],
    ["execute_command", 0x4ba50, 0xef, "push"],
    ["maybe_make_export_env", 0x54080, 0x11],
    ["initialize_shell_variables", 0x554a0, 0x1297, "push"],
    ["make_child", 0x5f330, 0x61f, "push"],
    ["wait_for", 0x5f950, 0xbbe, "push"],
    ["command_substitute", 0x6e280, 0x704, "push"],
    ["expand_words", 0x7ab40, 0xa],
    ["find_user_command", 0x954b0, 0xa],
    ["set_working_directory", 0x9d9d0, 0x3a],
  ],
};

const LIBSSL: Mirror = {
  describes: "OpenSSL 3.0 libssl.so.3",
  fileSize: 688160,
  functions: [
    ["TLS_server_method", 0x25090, 0x8],
    ["TLS_client_method", 0x250e0, 0x8],
    ["OPENSSL_init_ssl", 0x326d0, 0x140, "push"],
    ["SSL_set_fd", 0x34a10, 0x97, "push"],
    ["SSL_pending", 0x34da0, 0x23],
    ["SSL_get1_peer_certificate", 0x34ec0, 0x1d],
    ["SSL_read", 0x35430, 0x83, "push"],
    ["SSL_read_ex", 0x354c0, 0x1d],
    ["SSL_peek", 0x354f0, 0x83, "push"],
    ["SSL_write", 0x35980, 0x83, "push"],
    ["SSL_write_ex", 0x35a10, 0x1d],
    ["SSL_shutdown", 0x35a30, 0x131, "push"],
    ["SSL_do_handshake", 0x37600, 0x10f, "push"],
    ["SSL_get_error", 0x38400, 0x1de, "push"],
    ["SSL_accept", 0x38ea0, 0x2c],
    ["SSL_connect", 0x39090, 0x2c],
    ["SSL_CTX_free", 0x3b040, 0x309, "push"],
    ["SSL_free", 0x3b350, 0x3a9, "push"],
    ["SSL_new", 0x3b700, 0x5d0, "push"],
    ["SSL_CTX_new", 0x3c610, 0xc],
    ["SSL_CTX_use_certificate_file", 0x3e220, 0x254, "push"],
    ["SSL_CTX_use_PrivateKey_file", 0x3e5f0, 0x1d5, "push"],
  ],
};

const LIBCRYPTO: Mirror = {
  describes: "OpenSSL 3.0 libcrypto.so.3, with the local functions debug symbols add",
  fileSize: 4734232,
  functions: [
    ["BN_mod_exp_mont", 0x117110, 0x6a5, "push"],
    ["ECDH_compute_key", 0x18e0d0, 0x174, "push"],
    ["ossl_ecdh_compute_key", 0x18e250, 0x6a, "push"],
    ["ossl_ecdh_simple_compute_key", 0x18e2c0, 0x2f0, "push"],
    ["EC_POINT_mul", 0x190810, 0x1d3, "push"],
    ["ECDSA_do_sign", 0x196d20, 0xc],
    ["ECDSA_do_verify", 0x196e40, 0x54],
    ["ossl_ecdsa_sign", 0x196ea0, 0xc8, "push"],
    ["ossl_ecdsa_verify", 0x196f70, 0xb0, "push"],
    ["ERR_get_error", 0x1e9320, 0x13],
    ["EVP_PKEY_encrypt", 0x1ebf30, 0x1ec, "push"],
    ["EVP_PKEY_decrypt", 0x1ec120, 0x1ec, "push"],
    ["EVP_MD_CTX_new", 0x1f56b0, 0x16],
    ["EVP_DigestUpdate", 0x1f56d0, 0x12b, "push"],
    ["EVP_EncryptUpdate", 0x2080d0, 0x1fb, "push"],
    ["EVP_EncryptFinal_ex", 0x2082d0, 0x2bb, "push"],
    ["EVP_DecryptUpdate", 0x2085a0, 0x5e4, "push"],
    ["EVP_CipherUpdate", 0x208b90, 0x15],
    ["EVP_PKEY_derive", 0x2126b0, 0x1ea, "push"],
    ["EVP_DigestSign", 0x217710, 0xd5, "push"],
    ["EVP_DigestVerify", 0x217a50, 0xe4, "push"],
    ["EVP_PKEY_sign", 0x224cf0, 0x216, "push"],
    ["EVP_PKEY_verify", 0x224f30, 0x124, "push"],
    ["HMAC", 0x229090, 0xd9, "push"],
    ["OPENSSL_init_crypto", 0x232550, 0x57a, "push"],
    ["CRYPTO_free", 0x233270, 0x1d],
    ["CRYPTO_malloc", 0x233290, 0x49],
    ["RAND_bytes", 0x26e5b0, 0x23],
    ["RSA_public_encrypt", 0x277460, 0x7],
    ["RSA_private_encrypt", 0x277470, 0x7],
    ["RSA_private_decrypt", 0x277480, 0x7],
    ["RSA_public_decrypt", 0x277490, 0x7],
    ["rsa_ossl_public_encrypt", 0x277ea0, 0x3d0, "push"],
    ["rsa_ossl_private_encrypt", 0x278270, 0x6e0, "push"],
    ["rsa_ossl_private_decrypt", 0x278950, 0x5c0, "push"],
    ["rsa_ossl_public_decrypt", 0x278f10, 0x3b0, "push"],
    ["RSA_sign", 0x281400, 0x1fb, "push"],
    ["RSA_verify", 0x281b90, 0x3b],
    ["SHA256", 0x292780, 0x4e],
  ],
};

const MIRRORS = new Map<string, Mirror>([
  ["glibc-2.36", GLIBC],
  ["glibc-2.31", GLIBC_OLD],
  ["libpthread-2.36", LIBPTHREAD_STUB],
  ["libpthread-2.31", LIBPTHREAD_OLD],
  ["libreadline-8.2", LIBREADLINE],
  ["bash-5.2", BASH],
  ["libssl-3.0", LIBSSL],
  ["libcrypto-3.0", LIBCRYPTO],
]);

export function findMirror(name: string): Mirror | undefined {
  return MIRRORS.get(name);
}

export function mirrorNames(): string[] {
  return [...MIRRORS.keys()];
}
