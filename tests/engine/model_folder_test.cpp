// ModelFolder (issue 13 item 2): a model is written into a staging folder beside the target and
// published in one step; an error at any point leaves the old model byte-identical and no
// staging folder behind; stale staging folders of dead processes are removed; a folder that is
// not a model's is never replaced. tests/engine/model_kill_test.py kills real builds.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/engine/engine.hpp"
#include "partnergraph/engine/model_folder.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "test_paths.hpp"
#include "tiny_model.hpp"

using namespace partnergraph;
namespace fs = std::filesystem;

namespace {

// Two different models of datasets/tiny (another partner embedding): "old" and "new".
const fs::path& OldModel() {
  static const fs::path dir = testing::BuildTinyModel("folder_old_model");
  return dir;
}
const fs::path& NewModel() {
  static const fs::path dir = testing::BuildTinyModel("folder_new_model", {}, [](auto& config) {
    config["model"]["partner_embedding"] = "walk";
  });
  return dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every entry of a folder by name, with its bytes ("<dir>" for a folder).
std::map<std::string, std::string> Contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    out[entry.path().filename().string()] =
        entry.is_directory() ? std::string("<dir>") : ReadFile(entry.path());
  }
  return out;
}

// The names in `parent` that hold ".staging-".
std::vector<std::string> StagingFolders(const fs::path& parent) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(parent)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".staging-") != std::string::npos) names.push_back(name);
  }
  return names;
}

// Copies every file of `model` into `dir` (a staging folder).
void CopyFiles(const fs::path& model, const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(model)) {
    fs::copy_file(entry.path(), dir / entry.path().filename(),
                  fs::copy_options::overwrite_existing);
  }
}

// A parent folder for one test holding a copy of the old model named "model".
fs::path ParentWithOldModel(const std::string& name) {
  const fs::path parent = testing::FreshTempDir(name + "_" + std::to_string(::getpid()));
  fs::create_directories(parent / "model");
  CopyFiles(OldModel(), parent / "model");
  return parent;
}

// A pid that no process has: a child that has exited and been waited for.
long DeadPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return static_cast<long>(child);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("ModelFolder: a new model replaces an existing one in one step", "[engine]") {
  const fs::path parent = ParentWithOldModel("folder_replace");
  const fs::path target = parent / "model";
  REQUIRE(Contents(OldModel()) != Contents(NewModel()));
  auto folder = ModelFolder::BeginNew(target);
  INFO(folder.status().ToString());
  REQUIRE(folder.ok());
  CHECK(folder->staging().parent_path() == target.parent_path());
  CHECK(StagingFolders(parent).size() == 1);
  CopyFiles(NewModel(), folder->staging());
  // Until the publish, the target is the old model.
  CHECK(Contents(target) == Contents(OldModel()));
  REQUIRE(folder->Publish().ok());
  CHECK(folder->old_model_left().empty());
  CHECK(Contents(target) == Contents(NewModel()));
  CHECK(StagingFolders(parent).empty());
  auto engine = Engine::Open(target);
  INFO(engine.status().ToString());
  CHECK(engine.ok());
}

TEST_CASE("ModelFolder: a model is published into a folder that does not exist yet",
          "[engine]") {
  const fs::path parent = testing::FreshTempDir("folder_new_" + std::to_string(::getpid()));
  const fs::path target = parent / "a" / "b" / "model";
  auto folder = ModelFolder::BeginNew(target);
  REQUIRE(folder.ok());
  CHECK_FALSE(fs::exists(target));
  CopyFiles(NewModel(), folder->staging());
  REQUIRE(folder->Publish().ok());
  CHECK(Contents(target) == Contents(NewModel()));
  CHECK(StagingFolders(target.parent_path()).empty());

  // An empty folder is a place for a model too.
  fs::create_directories(parent / "empty");
  auto into_empty = ModelFolder::BeginNew(parent / "empty");
  REQUIRE(into_empty.ok());
  CopyFiles(NewModel(), into_empty->staging());
  REQUIRE(into_empty->Publish().ok());
  CHECK(Contents(parent / "empty") == Contents(NewModel()));
  CHECK(StagingFolders(parent).empty());
}

TEST_CASE("ModelFolder: an error midway leaves the old model byte-identical and no staging "
          "folder", "[engine]") {
  const fs::path parent = ParentWithOldModel("folder_error");
  const fs::path target = parent / "model";
  const auto old_contents = Contents(target);

  SECTION("the build fails before the publish (the folder is dropped)") {
    {
      auto folder = ModelFolder::BeginNew(target);
      REQUIRE(folder.ok());
      REQUIRE(WriteFileAtomically(folder->staging() / "graph.pgg", "part of a model").ok());
      // A write that fails: its temporary file's name is taken by a folder.
      fs::create_directories(folder->staging() / "config.json.tmp");
      Status failed = WriteFileAtomically(folder->staging() / "config.json", "{}");
      CHECK_FALSE(failed.ok());
    }
    CHECK(Contents(target) == old_contents);
    CHECK(StagingFolders(parent).empty());
  }
  SECTION("a staging folder without manifest.json is never published") {
    auto folder = ModelFolder::BeginNew(target);
    REQUIRE(folder.ok());
    CopyFiles(NewModel(), folder->staging());
    fs::remove(folder->staging() / kManifestFileName);
    Status published = folder->Publish();
    INFO(published.ToString());
    CHECK(published.IsInvalidArgument());
    CHECK(Contains(published.message(), "manifest.json"));
    CHECK(Contents(target) == old_contents);
    CHECK(StagingFolders(parent).empty());
  }
  SECTION("the target became a user's folder meanwhile") {
    auto folder = ModelFolder::BeginNew(target);
    REQUIRE(folder.ok());
    CopyFiles(NewModel(), folder->staging());
    fs::remove(target / kManifestFileName);
    Status published = folder->Publish();
    INFO(published.ToString());
    CHECK(published.IsInvalidArgument());
    auto without_manifest = old_contents;
    without_manifest.erase(kManifestFileName);
    CHECK(Contents(target) == without_manifest);
    CHECK(StagingFolders(parent).empty());
  }
  SECTION("an update that is dropped leaves the linked files as they were") {
    {
      auto folder = ModelFolder::BeginUpdate(target);
      INFO(folder.status().ToString());
      REQUIRE(folder.ok());
      CHECK(Contents(folder->staging()) == old_contents);
      // Replaced in the staging folder (a temporary file renamed over the link), removed.
      REQUIRE(WriteFileAtomically(folder->staging() / "precomputed.bin", "changed").ok());
      fs::remove(folder->staging() / "config.json");
    }
    CHECK(Contents(target) == old_contents);
    CHECK(StagingFolders(parent).empty());
  }
}

TEST_CASE("ModelFolder: an update starts from the model's files and publishes the change",
          "[engine]") {
  const fs::path parent = ParentWithOldModel("folder_update");
  const fs::path target = parent / "model";
  auto old_contents = Contents(target);
  auto folder = ModelFolder::BeginUpdate(target);
  REQUIRE(folder.ok());
  // The files are links to the model's: nothing copied.
  struct stat linked;
  REQUIRE(::stat((folder->staging() / "graph.pgg").c_str(), &linked) == 0);
  CHECK(linked.st_nlink == 2);
  REQUIRE(WriteFileAtomically(folder->staging() / "notes.txt", "added").ok());
  CHECK(Contents(target) == old_contents);
  REQUIRE(folder->Publish().ok());
  old_contents["notes.txt"] = "added";
  CHECK(Contents(target) == old_contents);
  CHECK(StagingFolders(parent).empty());

  // Only a model folder can be updated.
  fs::create_directories(parent / "empty");
  auto empty = ModelFolder::BeginUpdate(parent / "empty");
  CHECK(empty.status().IsInvalidArgument());
  CHECK(ModelFolder::BeginUpdate(parent / "absent").status().IsNotFound());
  CHECK(StagingFolders(parent).empty());
}

TEST_CASE("ModelFolder: stale staging folders of dead processes are removed", "[engine]") {
  const fs::path parent = ParentWithOldModel("folder_stale");
  const std::string hex = "0123456789abcdef";
  const fs::path dead = parent / (".model.staging-" + std::to_string(DeadPid()) + "-" + hex);
  const fs::path dead_other = parent / (".other.staging-" + std::to_string(DeadPid()) + "-" + hex);
  // pid 1 is alive: its folder may be in use.
  const fs::path alive = parent / (".model.staging-1-" + hex);
  // Not a staging folder's name: never touched.
  const fs::path lookalike = parent / ".model.staging-notapid";
  for (const fs::path& dir : {dead, dead_other, alive, lookalike}) {
    fs::create_directories(dir);
    std::ofstream(dir / "graph.pgg") << "partial";
  }
  auto folder = ModelFolder::BeginNew(parent / "model");
  REQUIRE(folder.ok());
  CHECK_FALSE(fs::exists(dead));
  CHECK_FALSE(fs::exists(dead_other));
  CHECK(fs::exists(alive / "graph.pgg"));
  CHECK(fs::exists(lookalike / "graph.pgg"));
  CopyFiles(NewModel(), folder->staging());
  REQUIRE(folder->Publish().ok());
  CHECK(Contents(parent / "model") == Contents(NewModel()));
}

TEST_CASE("ModelFolder: a folder that is not a model's is never replaced", "[engine]") {
  const fs::path parent = testing::FreshTempDir("folder_refuse_" + std::to_string(::getpid()));
  fs::create_directories(parent / "photos");
  std::ofstream(parent / "photos" / "holiday.jpg") << "not a model";
  auto folder = ModelFolder::BeginNew(parent / "photos");
  INFO(folder.status().ToString());
  REQUIRE_FALSE(folder.ok());
  CHECK(folder.status().IsInvalidArgument());
  CHECK(Contains(folder.status().message(), (parent / "photos").string()));
  CHECK(Contains(folder.status().message(), "not a model folder"));
  CHECK(ReadFile(parent / "photos" / "holiday.jpg") == "not a model");
  CHECK(StagingFolders(parent).empty());

  std::ofstream(parent / "file") << "a file";
  auto file = ModelFolder::BeginNew(parent / "file");
  CHECK(file.status().IsInvalidArgument());
  CHECK(Contains(file.status().message(), "not a folder"));
  CHECK(ReadFile(parent / "file") == "a file");
}

TEST_CASE("ModelFolder: a link to a model folder is followed and kept", "[engine]") {
  const fs::path parent = ParentWithOldModel("folder_link");
  fs::create_directory_symlink("model", parent / "current");
  auto folder = ModelFolder::BeginNew(parent / "current");
  REQUIRE(folder.ok());
  CopyFiles(NewModel(), folder->staging());
  REQUIRE(folder->Publish().ok());
  CHECK(fs::is_symlink(parent / "current"));
  CHECK(Contents(parent / "model") == Contents(NewModel()));
  CHECK(StagingFolders(parent).empty());
}
