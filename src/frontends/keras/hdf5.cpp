#include "frontends/keras/hdf5.h"

#include <cstring>
#include <memory>

namespace ingot::keras::h5 {
namespace {

// The library's default handler prints a stack to stderr on every failed call; we report
// failures ourselves.
void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// Reads an attribute's strings whatever their storage: vlen or fixed, any count.
Result<std::vector<std::string>> read_strings(hid_t attr, const std::string& what) {
  Handle type(H5Aget_type(attr));
  Handle space(H5Aget_space(attr));
  if (!type.valid() || !space.valid()) return bad_input(what + ": cannot read its type");
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0 || count > (1 << 24)) return bad_input(what + ": element count must be sane, got " + std::to_string(count));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_STRING) {
    if (count == 0) return std::vector<std::string>{};  // Keras writes "no weights" as an empty float array
    return bad_input(what + ": must hold strings, got another type");
  }
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.get()) > 0) {
    std::vector<char*> ptrs(static_cast<std::size_t>(count), nullptr);
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    if (H5Aread(attr, mem.get(), ptrs.data()) < 0) return bad_input(what + ": cannot read its strings");
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0 || size > (1u << 26) || size * static_cast<std::size_t>(count) > (1u << 28)) {
    return bad_input(what + ": string size must be sane, got " + std::to_string(size));
  }
  std::vector<char> buf(size * static_cast<std::size_t>(count) + 1, '\0');
  if (H5Aread(attr, type.get(), buf.data()) < 0) return bad_input(what + ": cannot read its strings");
  for (hssize_t i = 0; i < count; ++i) {
    const char* s = buf.data() + static_cast<std::size_t>(i) * size;
    out.emplace_back(s, strnlen(s, size));  // fixed-length strings are NUL-padded
  }
  return out;
}

}  // namespace

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = H5I_INVALID_HID;
}

std::string Group::where(const std::string& child) const {
  std::string p = path_;
  if (!child.empty()) p += (p == "/" ? "" : "/") + child;
  return "file " + quote(file_) + " object " + quote(p);
}

bool Group::has_attr(const std::string& name) const { return H5Aexists(handle_.get(), name.c_str()) > 0; }

bool Group::has_child(const std::string& name) const {
  return H5Lexists(handle_.get(), name.c_str(), H5P_DEFAULT) > 0;
}

Result<Group> Group::group(const std::string& name) const {
  // H5Lexists fails (not false) on a multi-part path whose prefix is missing; check part by part.
  std::string sofar;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = name.find('/', start);
    sofar = name.substr(0, slash == std::string::npos ? name.size() : slash);
    if (H5Lexists(handle_.get(), sofar.c_str(), H5P_DEFAULT) <= 0) {
      return bad_input("read " + where(name) + ": group is required, got nothing");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  Handle g(H5Gopen2(handle_.get(), name.c_str(), H5P_DEFAULT));
  if (!g.valid()) return bad_input("read " + where(name) + ": must be a group, got another object");
  std::string child = path_ + (path_ == "/" ? "" : "/") + name;
  return Group(std::move(g), file_, child, map_);
}

Result<std::string> Group::string_attr(const std::string& name) const {
  const std::string what = "read " + where() + " attribute " + quote(name);
  if (!has_attr(name)) return bad_input(what + ": it is required, got nothing");
  Handle attr(H5Aopen(handle_.get(), name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) return bad_input(what + ": cannot open it");
  INGOT_ASSIGN_OR_RETURN(auto strings, read_strings(attr.get(), what));
  if (strings.size() != 1) return bad_input(what + ": must be one string, got " + std::to_string(strings.size()));
  return strings[0];
}

Result<std::vector<std::string>> Group::string_list_attr(const std::string& name) const {
  const std::string what = "read " + where() + " attribute " + quote(name);
  if (!has_attr(name)) return bad_input(what + ": it is required, got nothing");
  Handle attr(H5Aopen(handle_.get(), name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) return bad_input(what + ": cannot open it");
  return read_strings(attr.get(), what);
}

Result<Tensor> Group::read_f32(const std::string& name) const {
  const std::string what = "read " + where(name);
  if (!has_child(name)) return bad_input(what + ": dataset is required, got nothing");
  Handle ds(H5Dopen2(handle_.get(), name.c_str(), H5P_DEFAULT));
  if (!ds.valid()) return bad_input(what + ": must be a dataset, got another object");
  Handle type(H5Dget_type(ds.get()));
  if (H5Tget_class(type.get()) != H5T_FLOAT) return bad_input(what + ": must hold floats, got another type");
  Handle space(H5Dget_space(ds.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > static_cast<int>(kMaxRank)) {
    return bad_input(what + ": rank must be at most " + std::to_string(kMaxRank) + ", got " + std::to_string(rank));
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::vector<std::int64_t> sdims;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(kMaxElements)) return bad_input(what + ": dims must be at most 2^40");
    sdims.push_back(static_cast<std::int64_t>(d));
  }
  Shape shape(std::move(sdims));
  INGOT_TRY_CTX(validate_shape(shape), what);
  if (auto view = mapped_f32(ds.get(), shape)) return std::move(*view);
  INGOT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::f32, shape));
  // HDF5 converts any stored float type (f16, f64, big-endian) to native f32 on read.
  if (t.num_elements() > 0 && H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.mutable_bytes()) < 0) {
    return bad_input(what + ": cannot read its data (truncated or corrupt file?)");
  }
  return t;
}

std::optional<Tensor> Group::mapped_f32(hid_t dataset, const Shape& shape) const {
  if (map_ == nullptr || shape.num_elements() == 0) return std::nullopt;
  Handle type(H5Dget_type(dataset));
  if (H5Tequal(type.get(), H5T_IEEE_F32LE) <= 0) return std::nullopt;
  Handle dcpl(H5Dget_create_plist(dataset));
  if (!dcpl.valid() || H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || H5Pget_nfilters(dcpl.get()) != 0) return std::nullopt;
  const haddr_t offset = H5Dget_offset(dataset);
  const std::size_t bytes = static_cast<std::size_t>(shape.num_elements()) * sizeof(float);
  const auto file = map_->bytes();
  if (offset == HADDR_UNDEF || offset % alignof(float) != 0 || H5Dget_storage_size(dataset) != bytes ||
      offset > file.size() || bytes > file.size() - offset) {
    return std::nullopt;
  }
  return Tensor::view(DType::f32, shape, file.data() + offset, map_);
}

Result<Group> open_file(const std::string& path) {
  silence_hdf5();
  const std::string what = "open file " + quote(path);
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return io_error(what + ": " + std::strerror(errno));
    std::fclose(f);
    return bad_input(what + ": must be an HDF5 file, got no HDF5 signature (truncated or another format?)");
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.valid()) return bad_input(what + ": HDF5 library cannot open it (truncated or corrupt?)");
  Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT));
  if (!root.valid()) return bad_input(what + ": cannot open its root group");
  // The root group keeps the file open (HDF5 closes the file when its last object closes).
  // The mapping serves contiguous datasets without a copy; without it every read copies.
  auto map = MappedFile::open(path);
  return Group(std::move(root), path, "/", map.ok() ? *map : nullptr);
}

}  // namespace ingot::keras::h5
