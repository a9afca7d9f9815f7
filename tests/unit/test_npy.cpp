#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "runtime/npy.h"

namespace ingot {
namespace unit_test_npy {

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// A .npy file as numpy 1.x writes it (header padded to 64 bytes, newline-terminated).
std::string npy_file(const std::string& dict, const std::string& data, char major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  header.append((prefix + header.size() + 1 + 63) / 64 * 64 - prefix - header.size() - 1, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + major + '\0';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  if (major != 1) out += std::string(2, '\0');
  return out + header + data;
}

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * 4);
}

TEST(Npy, WriteThenReadIsIdentical) {
  Tensor t = Tensor::from_floats(Shape{2, 3}, std::vector<float>{1, 2, 3, -4, 5.5f, 1e-30f});
  const std::string bytes = npy::serialize(t);
  EXPECT_EQ((bytes.find('\n') + 1) % 64, 0u);  // data aligned as numpy does it
  auto back = npy::parse(as_bytes(bytes), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->bit_equal(t));
  for (Shape s : {Shape{}, Shape{4}, Shape{0, 2}}) {
    Tensor u = Tensor::allocate(DType::f32, s).value();
    auto r = npy::parse(as_bytes(npy::serialize(u)), "mem");
    ASSERT_TRUE(r.ok()) << s.to_string() << ": " << r.status().message();
    EXPECT_EQ(r->shape(), s);
  }
}

TEST(Npy, ReadsNumpyDialectsAndConvertsFloat64) {
  auto a = npy::parse(as_bytes(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats({1, 2}))), "a");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->shape(), Shape{2});
  double d[2] = {0.5, -3.25};
  auto b = npy::parse(as_bytes(npy_file("{\"descr\": \"<f8\", \"shape\": (1, 2), \"fortran_order\": False}",
                                        std::string(reinterpret_cast<char*>(d), 16), 2)),
                      "b");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->dtype(), DType::f32);
  EXPECT_EQ(b->data<float>()[1], -3.25f);
}

// numpy is the independent reader and writer here; scripts/install-deps.sh installs it.
TEST(Npy, RoundTripsThroughNumpy) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/python3")) << "Debian's python3 with numpy is a test dependency";
  const auto dir = std::filesystem::temp_directory_path() / "ingot_npy_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "x.npy").string();
  ASSERT_TRUE(npy::write(path, Tensor::from_floats(Shape{2, 2}, std::vector<float>{1, 2, 3, 4})).ok());
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; a = np.load('" + path +
                          "'); assert a.shape == (2, 2) and a.dtype == np.float32 and a[1, 0] == 3; "
                          "np.save('" + path + "', (a * 2).astype(np.float64))\" 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "numpy could not read ingot's .npy or write its own: " << cmd;
  auto back = npy::read(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->data<float>()[3], 8.0f);
  std::filesystem::remove_all(dir);
}

struct Bad {
  std::string bytes;
  const char* message;
};

TEST(Npy, RejectsMalformedFilesNamingTheField) {
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const Bad cases[] = {
      {"", "must start with the .npy magic"},
      {"PK\x03\x04 this is a zip", "must start with the .npy magic"},
      {std::string("\x93NUMPY\x07\x00\x10\x00", 10) + std::string(16, ' '), "format version must be 1, 2 or 3, got 7"},
      {std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "{}", "must fit in the file"},
      {npy_file("{'fortran_order': False, 'shape': (2,), }", floats({1, 2})), "header field 'descr' is required"},
      {npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", floats({1, 2})), "field 'descr' must be one of"},
      {npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", floats({1, 2})), "field 'descr' must be one of"},
      {npy_file("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", floats({1, 2})), "field 'descr' must be one of"},
      {npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", floats({1, 2})), "'fortran_order' must be False"},
      {npy_file("{'descr': '<f4', 'shape': (2,), }", floats({1, 2})), "'fortran_order' is required"},
      {npy_file("{'descr': '<f4', 'fortran_order': False, }", floats({1, 2})), "header field 'shape' is required"},
      {npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", floats({1, 2})), "tuple of non-negative integers"},
      {npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""), "at most 2^40"},
      {npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576, 4), }", ""), "at most 2^40"},
      {npy_file(ok_dict, floats({1})), "data must be 8 bytes for shape [2] and <f4, got 4"},
      {npy_file(ok_dict, floats({1, 2, 3})), "data must be 8 bytes for shape [2] and <f4, got 12"},
  };
  for (const Bad& c : cases) {
    auto r = npy::parse(as_bytes(c.bytes), "in.npy");
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().kind(), ErrorKind::bad_input);
    EXPECT_NE(r.status().message().find("read npy file 'in.npy': "), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << "want: " << c.message << "\ngot:  " << r.status().message();
  }
  EXPECT_EQ(npy::read("/nonexistent/x.npy").status().kind(), ErrorKind::io);
}

}  // namespace unit_test_npy
}  // namespace ingot
