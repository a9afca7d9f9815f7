// Small RAII layer over the HDF5 C library: just what reading Keras files needs.
// Every call reports failures as Status values naming the file and the object path.
#pragma once

#include <memory>
#include <optional>

#include "core/mapped_file.h"

#include <hdf5.h>

#include <optional>
#include <string>
#include <vector>

#include "ingot/status.h"
#include "ingot/tensor.h"

namespace ingot::keras::h5 {

// Owns one HDF5 identifier (file, group, dataset, attribute, type or space).
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  void reset();
  hid_t id_ = H5I_INVALID_HID;
};

// A group (the file's root is a group too) with the file path for messages.
class Group {
 public:
  Group(Handle handle, std::string file, std::string path, std::shared_ptr<const MappedFile> map = nullptr)
      : handle_(std::move(handle)), file_(std::move(file)), path_(std::move(path)), map_(std::move(map)) {}

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  bool has_attr(const std::string& name) const;
  bool has_child(const std::string& name) const;
  Result<Group> group(const std::string& name) const;

  // A string attribute stored as variable- or fixed-length, str or bytes, scalar or 1 element.
  Result<std::string> string_attr(const std::string& name) const;
  // A list of strings (fixed- or variable-length); an empty numeric array (Keras' way of
  // writing "no weights") gives an empty list.
  Result<std::vector<std::string>> string_list_attr(const std::string& name) const;

  // The dataset at `name` (a path relative to this group) as f32; float64 and float16 are
  // converted. Shape and size are validated before reading. A contiguous, unfiltered
  // little-endian f32 dataset (what Keras writes) comes as a read-only view of the mapped file,
  // not a copy.
  Result<Tensor> read_f32(const std::string& name) const;

  std::string where(const std::string& child = "") const;  // "file 'm.h5' object '/a/b'"

 private:
  std::optional<Tensor> mapped_f32(hid_t dataset, const Shape& shape) const;

  Handle handle_;
  std::string file_;
  std::string path_;
  std::shared_ptr<const MappedFile> map_;  // the whole file, for zero-copy reads; may be null
};

// Opens an HDF5 file read-only; the Group returned is its root.
Result<Group> open_file(const std::string& path);

}  // namespace ingot::keras::h5
