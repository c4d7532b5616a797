// The plugin registry, plugin libraries, and the field encoding plugins serialize with.
#include "plugin/plugin_registry.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kiln {
namespace {

// A creator that only answers who it is (the registry never creates anything).
class NamedCreator : public PluginCreator {
 public:
  explicit NamedCreator(PluginIdentity id) : id_(std::move(id)) {}
  PluginIdentity identity() const override { return id_; }
  std::vector<PluginFieldSpec> field_specs() const override { return {}; }
  Expected<std::unique_ptr<Plugin>> create(const std::vector<PluginField>&) const override {
    return Status(StatusCode::kUnsupported, "not in this test");
  }
  Expected<std::unique_ptr<Plugin>> deserialize(const void*, size_t) const override {
    return Status(StatusCode::kUnsupported, "not in this test");
  }

 private:
  PluginIdentity id_;
};

// As if built against another version of include/kiln/plugin.h.
class OtherApiCreator final : public NamedCreator {
 public:
  using NamedCreator::NamedCreator;
  int api_version() const override { return kPluginApiVersion + 1; }
};

TEST(PluginRegistry, FindsExactIdentitiesAndListsThemSorted) {
  auto registry = make_plugin_registry();
  for (const PluginIdentity& id : {PluginIdentity{"Zeta", "1", "com.b"}, PluginIdentity{"Alpha", "2", "com.b"},
                                   PluginIdentity{"Alpha", "1", "com.b"}, PluginIdentity{"Omega", "1", "com.a"},
                                   PluginIdentity{"Omega", "1", ""}})
    ASSERT_TRUE(registry->add_creator(std::make_unique<NamedCreator>(id)).ok());

  const PluginCreator* found = registry->find({"Alpha", "2", "com.b"});
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->identity(), (PluginIdentity{"Alpha", "2", "com.b"}));
  EXPECT_EQ(registry->find({"Alpha", "3", "com.b"}), nullptr);   // version
  EXPECT_EQ(registry->find({"Alpha", "1", "com.a"}), nullptr);   // namespace
  EXPECT_EQ(registry->find({"alpha", "1", "com.b"}), nullptr);   // names are case-sensitive

  std::vector<std::string> listed;
  for (const PluginIdentity& id : registry->list()) listed.push_back(id.plugin_namespace + "/" + id.name + "/" + id.version);
  EXPECT_EQ(listed, (std::vector<std::string>{"/Omega/1", "com.a/Omega/1", "com.b/Alpha/1", "com.b/Alpha/2",
                                              "com.b/Zeta/1"}));
}

TEST(PluginRegistry, RefusesDuplicatesAndOtherApiVersions) {
  auto registry = make_plugin_registry();
  ASSERT_TRUE(registry->add_creator(std::make_unique<NamedCreator>(PluginIdentity{"Clip", "1", "x"})).ok());
  Status s = registry->add_creator(std::make_unique<NamedCreator>(PluginIdentity{"Clip", "1", "x"}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("plugin 'Clip' (version 1, namespace 'x') is already registered"), std::string::npos)
      << s.message();

  s = registry->add_creator(std::make_unique<OtherApiCreator>(PluginIdentity{"Old", "1", "x"}));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("plugin 'Old' (version 1, namespace 'x') was built against Kiln's plugin API version"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(registry->find({"Old", "1", "x"}), nullptr);
}

TEST(PluginLibrary, LoadsOnceAndRegistersItsCreators) {
  ASSERT_TRUE(load_plugin_library(KILN_TEST_PLUGIN_LIBRARY).ok());
  ASSERT_TRUE(load_plugin_library(KILN_TEST_PLUGIN_LIBRARY).ok());  // again: nothing happens
  const PluginIdentity id{"ScaledInterleave", "1", "kiln.test"};
  ASSERT_NE(PluginRegistry::global().find(id), nullptr);
  const auto all = PluginRegistry::global().list();
  EXPECT_EQ(std::count(all.begin(), all.end(), id), 1);
}

TEST(PluginLibrary, ErrorsNameTheLibrary) {
  Status s = load_plugin_library("/nonexistent/libnothing.so");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("cannot load plugin library '/nonexistent/libnothing.so'"), std::string::npos)
      << s.message();

  // A shared library that is not a plugin library.
  s = load_plugin_library("libm.so.6");
  EXPECT_NE(s.message().find("'libm.so.6' is not a Kiln plugin library: it exports no kiln_register_plugins"),
            std::string::npos)
      << s.message();
}

TEST(PluginFields, RoundTripEveryType) {
  const std::vector<PluginField> fields = {
      PluginField::of_int("i", -1234567890123), PluginField::of_float("f", 0.3f),
      PluginField::of_string("s", std::string("a\0b", 3)), PluginField::of_ints("is", {5, -6, 7}),
      PluginField::of_floats("fs", {1.5f, -2.25f}), PluginField::of_bytes("b", {0, 255, 17}),
      PluginField::of_ints("empty", {})};
  const std::vector<uint8_t> bytes = encode_plugin_fields(fields);
  auto decoded = decode_plugin_fields(bytes.data(), bytes.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), fields.size());
  for (size_t k = 0; k < fields.size(); ++k) {
    const PluginField &a = fields[k], &b = (*decoded)[k];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.i, b.i);
    EXPECT_EQ(a.f, b.f);
    EXPECT_EQ(a.s, b.s);
    EXPECT_EQ(a.ints, b.ints);
    EXPECT_EQ(a.floats, b.floats);
    EXPECT_EQ(a.bytes, b.bytes);
  }
  EXPECT_EQ(find_plugin_field(*decoded, "fs")->floats, (std::vector<float>{1.5f, -2.25f}));
  EXPECT_EQ(find_plugin_field(*decoded, "missing"), nullptr);
}

TEST(PluginFields, DamagedBytesAreErrorsNotCrashes) {
  const std::vector<uint8_t> bytes = encode_plugin_fields(
      {PluginField::of_string("name", "value"), PluginField::of_floats("fs", {1, 2, 3}), PluginField::of_int("i", 9)});
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto decoded = decode_plugin_fields(bytes.data(), cut);
    EXPECT_FALSE(decoded.ok()) << "cut at " << cut;
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_NE(decode_plugin_fields(longer.data(), longer.size()).status().message().find("trailing bytes"),
            std::string::npos);
  // Every single-byte change either decodes or is refused; none reads out of bounds (ASan).
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<uint8_t> flipped = bytes;
    flipped[i] ^= 0xFF;
    (void)decode_plugin_fields(flipped.data(), flipped.size());
  }
}

}  // namespace
}  // namespace kiln
