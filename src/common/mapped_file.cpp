#include "partnergraph/common/mapped_file.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace partnergraph {
namespace {

// Reading a page of a file mapping past the file's current end raises SIGBUS: a file that is
// truncated while a load reads it would kill the process. Every mapping is registered here, and
// a SIGBUS handler that finds the faulting address in one replaces the rest of that mapping with
// zero-filled anonymous memory and marks it, so that the read returns zeros and the owner reports
// "the file shrank while it was read" afterwards (MappedFile::shrank). Written by hand: no library
// offers this; the handler uses only lock-free atomics and the mmap system call.
struct Slot {
  std::atomic<std::uintptr_t> begin{0};  // 0: free
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> shrank{false};
};
constexpr std::size_t kSlots = 256;  // mappings open at once that are guarded
std::array<Slot, kSlots> g_slots;
struct sigaction g_previous;
std::uintptr_t g_page_size = 4096;  // set before the handler is installed
std::once_flag g_install_once;

void OnSigbus(int signal, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    const std::uintptr_t end = slot.end.load(std::memory_order_acquire);
    if (begin == 0 || addr < begin || addr >= end) continue;
    const std::uintptr_t from = addr & ~(g_page_size - 1);
    // The faulting address rounded down to its page, as si_addr minus an offset (no
    // integer-to-pointer cast).
    void* page = static_cast<char*>(info->si_addr) - (addr - from);
    void* zeros = mmap(page, end - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros == MAP_FAILED) break;  // cannot help: fall through to the previous action
    slot.shrank.store(true, std::memory_order_release);
    return;  // the read is retried and now sees zeros
  }
  // Not a guarded mapping: what would have happened without this handler.
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(signal, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
      g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(signal);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // the fault repeats on return and ends the process as before
}

void InstallHandler() {
  g_page_size = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  struct sigaction action {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &g_previous);
}

Slot* Register(const void* data, std::size_t size) {
  std::call_once(g_install_once, InstallHandler);
  for (Slot& slot : g_slots) {
    std::uintptr_t expected = 0;
    // Claim with a placeholder so that the handler never sees a half-set range.
    if (!slot.begin.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) continue;
    slot.shrank.store(false, std::memory_order_relaxed);
    slot.end.store(reinterpret_cast<std::uintptr_t>(data) + size, std::memory_order_release);
    slot.begin.store(reinterpret_cast<std::uintptr_t>(data), std::memory_order_release);
    return &slot;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<MappedFile> MappedFile::Map(int fd, std::size_t size) {
  if (size == 0) return nullptr;
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapped == MAP_FAILED) return nullptr;
  void* slot = Register(mapped, size);
  if (slot == nullptr) {  // no guard free: the caller reads the file instead
    munmap(mapped, size);
    return nullptr;
  }
  return std::unique_ptr<MappedFile>(new MappedFile(mapped, size, slot));
}

bool MappedFile::shrank() const {
  return static_cast<const Slot*>(slot_)->shrank.load(std::memory_order_acquire);
}

MappedFile::~MappedFile() {
  auto* slot = static_cast<Slot*>(slot_);
  // Unregister first: once unmapped, the range may be reused by another mapping.
  slot->begin.store(1, std::memory_order_release);
  slot->end.store(0, std::memory_order_release);
  munmap(data_, size_);
  slot->begin.store(0, std::memory_order_release);
}

}  // namespace partnergraph
