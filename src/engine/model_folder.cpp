// The staging and publication of a model folder (model_folder.hpp).
#include "partnergraph/engine/model_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>
#include <system_error>
#include <vector>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/errno_text.hpp"
#include "partnergraph/engine/model_manifest.hpp"

namespace partnergraph {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStagingMarker = ".staging-";

// ".<name>.staging-<pid>-<16 hex digits>" for `target`.
fs::path StagingName(const fs::path& target) {
  std::random_device random;
  const unsigned long long tag =
      (static_cast<unsigned long long>(random()) << 32) ^ static_cast<unsigned long long>(random());
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "%ld-%016llx", static_cast<long>(::getpid()), tag);
  return target.parent_path() /
         ("." + target.filename().string() + std::string(kStagingMarker) + suffix);
}

// The pid in a staging folder's name, or -1 when `name` is not one.
long StagingPid(const std::string& name) {
  const std::size_t at = name.rfind(kStagingMarker);
  if (name.empty() || name[0] != '.' || at == std::string::npos || at < 2) return -1;
  const std::string rest = name.substr(at + kStagingMarker.size());
  const std::size_t dash = rest.find('-');
  if (dash == std::string::npos || dash == 0 || rest.size() - dash - 1 != 16) return -1;
  if (rest.find_first_not_of("0123456789") != dash) return -1;
  if (rest.find_first_not_of("0123456789abcdef", dash + 1) != std::string::npos) return -1;
  return std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
}

// Removes the staging folders in `parent` whose process is gone (a build killed with -9 or by
// a power loss). Errors are ignored: a folder that cannot be removed is left for the next try.
void RemoveStaleStagingFolders(const fs::path& parent) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = StagingPid(it->path().filename().string());
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    std::error_code ignored;
    if (!it->is_directory(ignored) || it->is_symlink(ignored)) continue;
    if (fs::exists("/proc/" + std::to_string(pid), ignored)) continue;  // alive (or pid reused)
    fs::remove_all(it->path(), ignored);
  }
}

// OK when `target` may be replaced: absent, an empty folder or a model folder.
Status CheckReplaceable(const fs::path& target) {
  std::error_code ec;
  const fs::file_status status = fs::status(target, ec);
  if (status.type() == fs::file_type::not_found) return Status::Ok();
  if (ec) return Status::IOError(target.string() + ": cannot read: " + ec.message());
  if (status.type() != fs::file_type::directory) {
    return Status::InvalidArgument(target.string() + ": exists and is not a folder");
  }
  if (fs::exists(target / kManifestFileName, ec) || fs::is_empty(target, ec)) return Status::Ok();
  return Status::InvalidArgument(
      target.string() + ": not a model folder (it is not empty and has no " + kManifestFileName +
      "); a model is never written over other files: choose another folder or empty it");
}

Status CheckIsModel(const fs::path& target) {
  std::error_code ec;
  if (!fs::is_directory(target, ec)) {
    return Status::NotFound(target.string() + ": no such model folder");
  }
  if (!fs::exists(target / kManifestFileName, ec)) {
    return Status::InvalidArgument(target.string() + ": not a model folder (no " +
                                   kManifestFileName + ")");
  }
  return Status::Ok();
}

// fsyncs every regular file in `dir` and then `dir`.
Status SyncFolderFiles(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      return Status::IOError(it->path().string() + ": cannot open to fsync: " +
                             ErrnoText(error));
    }
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0) {
      return Status::IOError(it->path().string() + ": fsync failed: " + ErrnoText(error));
    }
  }
  if (ec) return Status::IOError(dir.string() + ": cannot list: " + ec.message());
  return SyncDirectory(dir);
}

// The target a user named: a symbolic link to a folder is followed, so that the link stays.
Result<fs::path> ResolveTarget(const fs::path& target) {
  if (target.empty()) return Status::InvalidArgument("model folder: empty path");
  std::error_code ec;
  fs::path path = fs::absolute(target, ec).lexically_normal();
  if (ec) {
    return Status::IOError(target.string() + ": cannot make the path absolute: " + ec.message());
  }
  if (!path.has_filename()) path = path.parent_path();  // "m/" -> "m"
  if (fs::is_symlink(path, ec)) {
    fs::path resolved = fs::canonical(path, ec);
    if (ec) return Status::IOError(path.string() + ": cannot follow the link: " + ec.message());
    path = resolved;
  }
  if (path == path.root_path()) {
    return Status::InvalidArgument(path.string() + ": not a folder a model can be published at");
  }
  return path;
}

}  // namespace

Result<ModelFolder> ModelFolder::BeginNew(const fs::path& requested) {
  PG_ASSIGN_OR_RETURN(fs::path target, ResolveTarget(requested));
  PG_RETURN_IF_ERROR(CheckReplaceable(target));
  const fs::path parent = target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return Status::IOError(parent.string() + ": cannot create: " + ec.message());
  RemoveStaleStagingFolders(parent);
  fs::path staging = StagingName(target);
  if (::mkdir(staging.c_str(), 0755) != 0) {
    const int error = errno;
    return Status::IOError(target.string() + ": cannot create the staging folder " +
                           staging.string() + ": " + ErrnoText(error));
  }
  ModelFolder folder(target, staging);
  // The new model keeps the old folder's permissions.
  struct stat st;
  if (::stat(target.c_str(), &st) == 0) ::chmod(staging.c_str(), st.st_mode & 07777);
  return folder;
}

Result<ModelFolder> ModelFolder::BeginUpdate(const fs::path& requested) {
  PG_ASSIGN_OR_RETURN(fs::path target, ResolveTarget(requested));
  PG_RETURN_IF_ERROR(CheckIsModel(target));
  PG_ASSIGN_OR_RETURN(ModelFolder folder, BeginNew(target));
  std::error_code ec;
  for (fs::directory_iterator it(target, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const fs::path to = folder.staging_ / it->path().filename();
    if (::link(it->path().c_str(), to.c_str()) == 0) continue;
    const int error = errno;
    if (error != EPERM && error != EOPNOTSUPP && error != EMLINK) {
      return Status::IOError(it->path().string() + ": cannot link it into the staging folder " +
                             folder.staging_.string() + ": " + ErrnoText(error));
    }
    std::error_code copy_ec;
    fs::copy_file(it->path(), to, copy_ec);
    if (copy_ec) {
      return Status::IOError(it->path().string() + ": cannot copy it into the staging folder " +
                             folder.staging_.string() + ": " + copy_ec.message());
    }
  }
  if (ec) return Status::IOError(target.string() + ": cannot list: " + ec.message());
  return folder;
}

ModelFolder::ModelFolder(ModelFolder&& other) noexcept
    : target_(std::move(other.target_)),
      staging_(std::move(other.staging_)),
      old_model_left_(std::move(other.old_model_left_)) {
  other.staging_.clear();
}

ModelFolder::~ModelFolder() { Abandon(); }

void ModelFolder::Abandon() {
  if (staging_.empty()) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
  staging_.clear();
}

Status ModelFolder::Publish() {
  if (staging_.empty()) return Status::Internal(target_.string() + ": published twice");
  std::error_code ec;
  if (!fs::exists(staging_ / kManifestFileName, ec)) {
    Abandon();
    return Status::InvalidArgument(target_.string() + ": the new model has no " +
                                   kManifestFileName + ": not published");
  }
  // 1. Every file and the folder's entries on disk before the folder becomes visible.
  if (Status synced = SyncFolderFiles(staging_); !synced.ok()) {
    Abandon();
    return synced.WithContext(target_.string() + ": not published");
  }
  // 2. One step: the exchange when there is a model to replace.
  if (Status replaceable = CheckReplaceable(target_); !replaceable.ok()) {
    Abandon();
    return replaceable;
  }
  const bool exchange = fs::exists(target_, ec);
  if (RenamePaths(staging_, target_, exchange ? RenameMode::kExchange : RenameMode::kNoReplace) !=
      0) {
    const int error = errno;
    Abandon();
    std::string reason = ErrnoText(error);
    if (exchange && (error == EINVAL || error == ENOSYS)) {
      reason += " (the file system cannot swap two folders atomically: renameat2 "
                "RENAME_EXCHANGE)";
    }
    return Status::IOError(target_.string() + ": cannot " +
                           (exchange ? "swap the new model in from " : "move the new model in from ") +
                           staging_.string() + ": " + reason);
  }
  // 3. The swap itself on disk; undone when it cannot be made durable, so that an error always
  // means the old model.
  const fs::path parent = target_.parent_path();
  if (Status synced = SyncDirectory(parent); !synced.ok()) {
    const bool undone = exchange ? RenamePaths(staging_, target_, RenameMode::kExchange) == 0
                                 : RenamePaths(target_, staging_, RenameMode::kNoReplace) == 0;
    if (!undone) {
      staging_.clear();  // it holds the old model (or nothing): the next build removes it
      return Status::IOError(target_.string() + ": the new model is in place, but " +
                             synced.message() + "; it may not survive a crash");
    }
    Abandon();
    return Status::IOError(target_.string() + ": not published, the old model kept: " +
                           synced.message());
  }
  // 4. The old model (or the empty folder) under the staging name.
  const fs::path old = staging_;
  staging_.clear();
  if (exchange) {
    fs::remove_all(old, ec);
    if (ec) {
      old_model_left_ = old.string() + ": the old model could not be removed: " + ec.message() +
                        " (the next build in " + parent.string() + " removes it)";
    }
  }
  return Status::Ok();
}

}  // namespace partnergraph
