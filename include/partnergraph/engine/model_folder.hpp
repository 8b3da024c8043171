// ModelFolder: the one owner of a model folder on disk: where a new version of a model is
// written, and how it replaces the old one in one step.
//
// A model is never written in place. BeginNew and BeginUpdate create a staging folder beside
// the target (same parent, so the same file system), named ".<name>.staging-<pid>-<16 hex
// digits>"; the caller writes every part of the model into staging() (SaveGraph, BuildModel,
// WriteModelManifest, PrecomputeModel: model_builder.hpp lists the files); Publish() then
//   1. fsyncs every file in the staging folder and the staging folder itself;
//   2. puts it in the target's place in one step: when the target exists,
//      renameat2(RENAME_EXCHANGE) swaps the two folders (the old model is then under the
//      staging name); when it does not, renameat2(RENAME_NOREPLACE) moves it there;
//   3. fsyncs the parent folder, so that the swap survives a crash or a power loss;
//   4. removes the old model.
// Why renameat2: a plain rename() cannot replace a non-empty folder, and moving the old model
// aside first leaves a moment with no model at all; RENAME_EXCHANGE (Linux 3.15, ext4, xfs,
// btrfs, tmpfs) swaps both names atomically. A file system without it (NFS) makes Publish fail
// with an error saying so, the old model untouched.
//
// What a reader sees: the target path names the old model or the new one, never a mix, at
// every moment and after a kill -9 or a power loss at any point. A reader that opens the
// files one by one by path (Engine::Open) while a publish swaps the folder can still get some
// files of each; the manifest checks (model_manifest.hpp) then refuse the folder, naming a
// file, rather than serve a mix: open it again.
//
// Errors: an error at any point, Publish's included, leaves the target as it was (when
// Publish's last fsync fails the swap is undone) and removes the staging folder (so does the
// destructor of a ModelFolder that was never published). A staging folder left by a process
// that died (kill -9, power loss) is removed by the next BeginNew or BeginUpdate in the same
// parent folder: its name holds the pid, and a pid with no /proc/<pid> is dead.
//
// The target must be absent, an empty folder or a model folder (one holding manifest.json): a
// user's folder is never replaced. A symbolic link to a folder is followed (the folder it
// names is replaced, the link kept). Only regular files belong to a model: a publish replaces
// the whole folder, so files in it that the new model does not write are gone afterwards
// (BeginUpdate keeps them: it starts from a copy).
//
// Thread safety: one ModelFolder per target at a time; its methods are not thread-safe. Two
// processes publishing the same target at once each publish a complete model (the later one
// wins); neither sees a mix.
#pragma once

#include <filesystem>
#include <string>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

class ModelFolder {
 public:
  // Starts a new model for `target`: checks that the target is absent, an empty folder or a
  // model folder (InvalidArgument naming it otherwise), creates its parent folders when
  // missing, removes stale staging folders in the parent and creates an empty staging folder.
  // Errors: InvalidArgument as said; IOError naming the folder that cannot be created.
  static Result<ModelFolder> BeginNew(const std::filesystem::path& target);

  // Starts a new version of the existing model `target` (a folder holding manifest.json;
  // NotFound / InvalidArgument naming it otherwise): as BeginNew, then hard-links every
  // regular file of the target into the staging folder (a copy where the file system has no
  // hard links), so that the caller rewrites only what changes. A linked file is shared with
  // the old model: replace it (AtomicFileWriter writes a temporary file and renames it), never
  // write into it. Errors: those of BeginNew; IOError naming a file that cannot be linked.
  static Result<ModelFolder> BeginUpdate(const std::filesystem::path& target);

  ModelFolder(ModelFolder&& other) noexcept;
  ModelFolder& operator=(ModelFolder&&) = delete;
  ModelFolder(const ModelFolder&) = delete;
  // Removes the staging folder unless Publish() succeeded.
  ~ModelFolder();

  // The folder the model is published at (a link followed).
  const std::filesystem::path& target() const { return target_; }
  // The folder to write the model's files into until Publish().
  const std::filesystem::path& staging() const { return staging_; }

  // Publishes the staging folder at the target (steps 1-4 at the top). The staging folder must
  // hold manifest.json (InvalidArgument otherwise: an unsealed model is never published).
  // Errors: IOError naming the file or folder whose fsync or rename failed; InvalidArgument
  // when the target became something else than a model folder meanwhile. On error the target
  // is as it was and the staging folder is removed. OK once the new model is in place and
  // durable; the old one is then removed (when that fails, old_model_left() says where it is:
  // the next build in the same parent removes it). Call at most once.
  Status Publish();

  // After Publish(): a message naming the old model's folder when it could not be removed;
  // empty otherwise.
  const std::string& old_model_left() const { return old_model_left_; }

 private:
  ModelFolder(std::filesystem::path target, std::filesystem::path staging)
      : target_(std::move(target)), staging_(std::move(staging)) {}
  // Removes the staging folder (when still owned); ignores errors.
  void Abandon();

  std::filesystem::path target_;
  std::filesystem::path staging_;  // empty once published or abandoned
  std::string old_model_left_;
};

}  // namespace partnergraph
