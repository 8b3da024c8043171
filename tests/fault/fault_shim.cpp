// libpg_fault_shim.so: fails the Nth write, fsync, rename or allocation of a process, for the
// fault-injection tests (fault_injection_test.py; issue 19). Loaded with LD_PRELOAD; chosen by
// the environment:
//
//   PG_FAULT_OP        write   write, pwrite, pwrite64, writev
//                      fsync   fsync, fdatasync
//                      rename  rename, renameat, renameat2
//                      alloc   malloc, calloc, realloc, aligned_alloc, posix_memalign,
//                              memalign, valloc (operator new calls malloc: it then throws
//                              std::bad_alloc)
//   PG_FAULT_N         the counted call that fails (1 is the first); unset or 0: count only.
//                      Only that one call fails: the ones after it succeed again (a retry, a
//                      rollback, the removal of a temporary file).
//   PG_FAULT_ACTION    fail (default): the Nth call fails with PG_FAULT_ERRNO; stop: the process
//                      stops itself (SIGSTOP) just before the Nth call, so that a test can
//                      kill it with SIGKILL at exactly that point (model_kill_test.py)
//   PG_FAULT_ERRNO     the errno it fails with: ENOSPC, EIO, ENOMEM, EINVAL or a number
//                      (default EIO; an allocation returns NULL with ENOMEM whatever is set)
//   PG_FAULT_PREFIX    write/fsync/rename: only calls on a path equal to this absolute folder
//                      or inside it count (write and fsync: the path the descriptor was opened
//                      at, read from /proc/self/fd; rename: either path), so that the program's
//                      stdout and stderr, its reads and other files are not counted
//   PG_FAULT_MIN_SIZE  alloc: only allocations of at least this many bytes count (default 1)
//   PG_FAULT_REPORT    a file written at exit: "calls=<counted calls>", "fired=<0|1>",
//                      "where=<path or size of the failed call>", one per line
//   PG_FAULT_TRACE     a file that every fsync and rename under the prefix is appended to, in
//                      order, whatever PG_FAULT_OP says: "fsync <path>", "rename <from> <to>"
//                      ("renameat2-exchange" and "renameat2-noreplace" for those flags), so
//                      that a test can check what was made durable before what was published.
//
// Calls are counted only once main() runs (the shim wraps __libc_start_main): the dynamic
// loader's and the static constructors' allocations are not the program's to handle.
//
// Why LD_PRELOAD rather than an injectable file-system layer in common/: the code under test
// is the real binary as users run it, unchanged, with every way it reaches the kernel
// (AtomicFileWriter, std::filesystem, std::ofstream, FAISS's writer, operator new in any
// library); a layer in common/ would only see the calls routed through it, would need every
// module to take it, and would test a build of the program that users never run. The limit:
// only calls that cross into libc through its dynamic symbols are seen. glibc's own stdio
// (fwrite, fflush) writes with internal calls the shim cannot intercept, and a direct
// syscall() is not seen either; the project writes files through AtomicFileWriter, which calls
// write/fsync/rename, and publishes a model folder with the renameat2 wrapper for that reason.
// Not for sanitizer builds (ASan must come first and owns malloc): CMake skips it there.
//
// Nothing here allocates or calls back into what it intercepts: the real calls are made with
// syscall() or glibc's __libc_* allocator entry points, and paths are built in stack buffers.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
}

namespace {

enum class Op { kNone, kWrite, kFsync, kRename, kAlloc };

struct Config {
  Op op = Op::kNone;
  long fail_at = 0;
  bool stop = false;  // PG_FAULT_ACTION=stop
  int error = EIO;
  char prefix[PATH_MAX] = {};
  std::size_t prefix_len = 0;
  std::size_t min_size = 1;
  char report[PATH_MAX] = {};
  char trace[PATH_MAX] = {};
};

Config g_config;
std::atomic<bool> g_configured{false};
std::atomic<bool> g_in_main{false};
std::atomic<long> g_calls{0};
std::atomic<bool> g_fired{false};
char g_where[PATH_MAX + 32] = {};
int g_trace_fd = -1;

void CopyString(char* to, std::size_t capacity, const char* from) {
  std::size_t i = 0;
  for (; from != nullptr && from[i] != '\0' && i + 1 < capacity; ++i) to[i] = from[i];
  to[i] = '\0';
}

std::size_t Length(const char* s) { return s == nullptr ? 0 : strlen(s); }

// Appends the decimal digits of `v` to `out` at `*len`.
void AppendNumber(char* out, std::size_t capacity, std::size_t* len, unsigned long long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0 && *len + 1 < capacity) out[(*len)++] = digits[--n];
  out[*len] = '\0';
}

void Append(char* out, std::size_t capacity, std::size_t* len, const char* s) {
  for (std::size_t i = 0; s[i] != '\0' && *len + 1 < capacity; ++i) out[(*len)++] = s[i];
  out[*len] = '\0';
}

// Reads the environment once (getenv does not allocate).
void Configure() {
  if (g_configured.load(std::memory_order_acquire)) return;
  const char* op = getenv("PG_FAULT_OP");
  if (op != nullptr) {
    if (strcmp(op, "write") == 0) g_config.op = Op::kWrite;
    if (strcmp(op, "fsync") == 0) g_config.op = Op::kFsync;
    if (strcmp(op, "rename") == 0) g_config.op = Op::kRename;
    if (strcmp(op, "alloc") == 0) g_config.op = Op::kAlloc;
  }
  if (const char* action = getenv("PG_FAULT_ACTION")) g_config.stop = strcmp(action, "stop") == 0;
  if (const char* n = getenv("PG_FAULT_N")) g_config.fail_at = strtol(n, nullptr, 10);
  if (const char* e = getenv("PG_FAULT_ERRNO")) {
    if (strcmp(e, "ENOSPC") == 0) {
      g_config.error = ENOSPC;
    } else if (strcmp(e, "EIO") == 0) {
      g_config.error = EIO;
    } else if (strcmp(e, "ENOMEM") == 0) {
      g_config.error = ENOMEM;
    } else if (strcmp(e, "EINVAL") == 0) {
      g_config.error = EINVAL;
    } else {
      g_config.error = static_cast<int>(strtol(e, nullptr, 10));
    }
  }
  CopyString(g_config.prefix, sizeof g_config.prefix, getenv("PG_FAULT_PREFIX"));
  g_config.prefix_len = Length(g_config.prefix);
  while (g_config.prefix_len > 1 && g_config.prefix[g_config.prefix_len - 1] == '/') {
    g_config.prefix[--g_config.prefix_len] = '\0';
  }
  if (const char* m = getenv("PG_FAULT_MIN_SIZE")) {
    g_config.min_size = static_cast<std::size_t>(strtoull(m, nullptr, 10));
  }
  CopyString(g_config.report, sizeof g_config.report, getenv("PG_FAULT_REPORT"));
  CopyString(g_config.trace, sizeof g_config.trace, getenv("PG_FAULT_TRACE"));
  g_configured.store(true, std::memory_order_release);
}

// True when `path` is the prefix folder or inside it.
bool UnderPrefix(const char* path) {
  if (g_config.prefix_len == 0 || path == nullptr) return false;
  if (strncmp(path, g_config.prefix, g_config.prefix_len) != 0) return false;
  const char next = path[g_config.prefix_len];
  return next == '\0' || next == '/';
}

// The path `fd` was opened at, into `out`; false when unknown.
bool FdPath(int fd, char* out, std::size_t capacity) {
  char link[64];
  std::size_t len = 0;
  link[0] = '\0';
  Append(link, sizeof link, &len, "/proc/self/fd/");
  AppendNumber(link, sizeof link, &len, static_cast<unsigned long long>(fd));
  const ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, link, out, capacity - 1);
  if (n <= 0) return false;
  out[n] = '\0';
  return true;
}

// `path` made absolute (relative to `dirfd`, or the working folder for AT_FDCWD) into `out`.
bool AbsolutePath(int dirfd, const char* path, char* out, std::size_t capacity) {
  if (path == nullptr) return false;
  if (path[0] == '/') {
    CopyString(out, capacity, path);
    return true;
  }
  if (dirfd == AT_FDCWD) {
    if (syscall(SYS_getcwd, out, capacity) <= 0) return false;
  } else if (!FdPath(dirfd, out, capacity)) {
    return false;
  }
  std::size_t len = Length(out);
  Append(out, capacity, &len, "/");
  Append(out, capacity, &len, path);
  return true;
}

void TraceLine(const char* a, const char* b, const char* c) {
  if (g_config.trace[0] == '\0' || !g_in_main.load(std::memory_order_relaxed)) return;
  if (g_trace_fd < 0) {
    g_trace_fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, g_config.trace,
                                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (g_trace_fd < 0) return;
  }
  char line[3 * PATH_MAX + 8];
  std::size_t len = 0;
  line[0] = '\0';
  Append(line, sizeof line, &len, a);
  if (b != nullptr) {
    Append(line, sizeof line, &len, " ");
    Append(line, sizeof line, &len, b);
  }
  if (c != nullptr) {
    Append(line, sizeof line, &len, " ");
    Append(line, sizeof line, &len, c);
  }
  Append(line, sizeof line, &len, "\n");
  syscall(SYS_write, g_trace_fd, line, len);
}

// Counts a call of `op` (on `where`, for the report) and says whether it must fail.
bool CountAndFail(Op op, const char* where) {
  if (!g_in_main.load(std::memory_order_relaxed) || g_config.op != op) return false;
  const long n = g_calls.fetch_add(1, std::memory_order_relaxed) + 1;
  if (g_config.fail_at <= 0 || n != g_config.fail_at) return false;
  g_fired.store(true);
  CopyString(g_where, sizeof g_where, where);
  if (g_config.stop) {
    syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
    return false;  // continued: the call goes ahead
  }
  return true;
}

// A write-family call on `fd`: true when it must fail (errno set).
bool FailWrite(int fd) {
  Configure();
  if (g_config.op != Op::kWrite || !g_in_main.load(std::memory_order_relaxed)) return false;
  char path[PATH_MAX];
  if (!FdPath(fd, path, sizeof path) || !UnderPrefix(path)) return false;
  if (!CountAndFail(Op::kWrite, path)) return false;
  errno = g_config.error;
  return true;
}

bool FailSync(int fd) {
  Configure();
  if (!g_in_main.load(std::memory_order_relaxed)) return false;
  if (g_config.op != Op::kFsync && g_config.trace[0] == '\0') return false;
  char path[PATH_MAX];
  if (!FdPath(fd, path, sizeof path) || !UnderPrefix(path)) return false;
  TraceLine("fsync", path, nullptr);
  if (!CountAndFail(Op::kFsync, path)) return false;
  errno = g_config.error;
  return true;
}

bool FailRename(int olddirfd, const char* from, int newdirfd, const char* to,
                const char* kind) {
  Configure();
  if (!g_in_main.load(std::memory_order_relaxed)) return false;
  if (g_config.op != Op::kRename && g_config.trace[0] == '\0') return false;
  char a[PATH_MAX], b[PATH_MAX];
  if (!AbsolutePath(olddirfd, from, a, sizeof a) || !AbsolutePath(newdirfd, to, b, sizeof b)) {
    return false;
  }
  if (!UnderPrefix(a) && !UnderPrefix(b)) return false;
  char op[64];
  std::size_t len = 0;
  op[0] = '\0';
  Append(op, sizeof op, &len, kind);
  TraceLine(op, a, b);
  if (!CountAndFail(Op::kRename, b)) return false;
  errno = g_config.error;
  return true;
}

bool FailAlloc(std::size_t size) {
  if (!g_in_main.load(std::memory_order_relaxed)) return false;
  Configure();
  if (g_config.op != Op::kAlloc || size < g_config.min_size) return false;
  char where[32];
  std::size_t len = 0;
  where[0] = '\0';
  AppendNumber(where, sizeof where, &len, size);
  Append(where, sizeof where, &len, " bytes");
  if (!CountAndFail(Op::kAlloc, where)) return false;
  errno = ENOMEM;
  return true;
}

void WriteReport() {
  if (g_config.report[0] == '\0') return;
  char text[PATH_MAX + 128];
  std::size_t len = 0;
  text[0] = '\0';
  Append(text, sizeof text, &len, "calls=");
  AppendNumber(text, sizeof text, &len, static_cast<unsigned long long>(g_calls.load()));
  Append(text, sizeof text, &len, "\nfired=");
  Append(text, sizeof text, &len, g_fired.load() ? "1" : "0");
  Append(text, sizeof text, &len, "\nwhere=");
  Append(text, sizeof text, &len, g_where);
  Append(text, sizeof text, &len, "\n");
  const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, g_config.report,
                                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd < 0) return;
  syscall(SYS_write, fd, text, len);
  syscall(SYS_close, fd);
}

__attribute__((destructor)) void AtExit() {
  g_in_main.store(false);
  WriteReport();
}

using MainFunction = int (*)(int, char**, char**);
MainFunction g_real_main = nullptr;

int CountingMain(int argc, char** argv, char** envp) {
  Configure();
  g_in_main.store(true);
  return g_real_main(argc, argv, envp);
}

}  // namespace

extern "C" {

// The process's start: main() is wrapped so that counting starts when it runs.
int __libc_start_main(MainFunction main, int argc, char** argv, void (*init)(), void (*fini)(),
                      void (*rtld_fini)(), void* stack_end) {
  using Start = int (*)(MainFunction, int, char**, void (*)(), void (*)(), void (*)(), void*);
  auto real = reinterpret_cast<Start>(dlsym(RTLD_NEXT, "__libc_start_main"));
  g_real_main = main;
  return real(CountingMain, argc, argv, init, fini, rtld_fini, stack_end);
}

ssize_t write(int fd, const void* buf, size_t count) {
  if (FailWrite(fd)) return -1;
  return syscall(SYS_write, fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (FailWrite(fd)) return -1;
  return syscall(SYS_pwrite64, fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  if (FailWrite(fd)) return -1;
  return syscall(SYS_pwrite64, fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  if (FailWrite(fd)) return -1;
  return syscall(SYS_writev, fd, iov, iovcnt);
}

int fsync(int fd) {
  if (FailSync(fd)) return -1;
  return static_cast<int>(syscall(SYS_fsync, fd));
}

int fdatasync(int fd) {
  if (FailSync(fd)) return -1;
  return static_cast<int>(syscall(SYS_fdatasync, fd));
}

int rename(const char* from, const char* to) {
  if (FailRename(AT_FDCWD, from, AT_FDCWD, to, "rename")) return -1;
  return static_cast<int>(syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0));
}

int renameat(int olddirfd, const char* from, int newdirfd, const char* to) {
  if (FailRename(olddirfd, from, newdirfd, to, "rename")) return -1;
  return static_cast<int>(syscall(SYS_renameat2, olddirfd, from, newdirfd, to, 0));
}

int renameat2(int olddirfd, const char* from, int newdirfd, const char* to, unsigned flags) {
  const char* kind = (flags & 2u) != 0   ? "renameat2-exchange"
                     : (flags & 1u) != 0 ? "renameat2-noreplace"
                                         : "rename";
  if (FailRename(olddirfd, from, newdirfd, to, kind)) return -1;
  return static_cast<int>(syscall(SYS_renameat2, olddirfd, from, newdirfd, to, flags));
}

void* malloc(size_t size) {
  if (FailAlloc(size)) return nullptr;
  return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
  if (FailAlloc(n * size)) return nullptr;
  return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) {
  if (FailAlloc(size)) return nullptr;
  return __libc_realloc(p, size);
}

void* memalign(size_t alignment, size_t size) {
  if (FailAlloc(size)) return nullptr;
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  if (FailAlloc(size)) return nullptr;
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (FailAlloc(size)) return ENOMEM;
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t size) {
  if (FailAlloc(size)) return nullptr;
  return __libc_memalign(static_cast<size_t>(sysconf(_SC_PAGESIZE)), size);
}

}  // extern "C"
