// Location mapping: stored paths → store locations, table of cases (the fixture README's rule).
import { describe, expect, it } from "vitest";
import { isIcebergError } from "../errors.ts";
import { LocationMapper, parseMapping } from "./location.ts";

describe("LocationMapper", () => {
  const m = new LocationMapper(
    [
      { from: "s3a://hyperparam-iceberg/spark/bunnies", to: "/fx/spark/bunnies" },
      { from: "./lineitem_iceberg", to: "/fx/lineitem/" },
      { from: "file://data/persistent/map_stats", to: "s3://bucket/ms" },
    ],
    "/base",
  );
  it.each([
    ["prefix replaced", "s3a://hyperparam-iceberg/spark/bunnies/data/a.parquet", "/fx/spark/bunnies/data/a.parquet"],
    ["whole location", "s3a://hyperparam-iceberg/spark/bunnies", "/fx/spark/bunnies"],
    [
      "a longer sibling name is not a prefix match",
      "s3a://hyperparam-iceberg/spark/bunnies2/x",
      "s3a://hyperparam-iceberg/spark/bunnies2/x",
    ],
    [
      "leading ./ dropped on both sides",
      "lineitem_iceberg/metadata/v1.metadata.json",
      "/fx/lineitem/metadata/v1.metadata.json",
    ],
    ["./ on the stored path", "./lineitem_iceberg/data/x.parquet", "/fx/lineitem/data/x.parquet"],
    [
      "percent escapes kept literally",
      "./lineitem_iceberg/data/p=2023-05-15T14%3A30%3A45%2B00%3A00/f.parquet",
      "/fx/lineitem/data/p=2023-05-15T14%3A30%3A45%2B00%3A00/f.parquet",
    ],
    ["mapped to s3", "file://data/persistent/map_stats/data/x.parquet", "s3://bucket/ms/data/x.parquet"],
    ["unmapped relative path resolves against baseDir", "data/x.parquet", "/base/data/x.parquet"],
    ["unmapped file://relative resolves against baseDir", "file://other/x.parquet", "/base/other/x.parquet"],
    ["file:///abs is not decoded", "file:///abs/a%3Ab.parquet", "/abs/a%3Ab.parquet"],
    ["s3 stays", "s3://b/k", "s3://b/k"],
    ["absolute path stays", "/x/y", "/x/y"],
  ])("%s", (_name, stored, want) => {
    expect(m.map(stored)).toBe(want);
  });
  it("refuses other schemes by name", () => {
    expect(() => m.map("hdfs://nn/x")).toThrow(/storage scheme hdfs:\/\//);
    try {
      m.map("gs://b/x");
    } catch (e) {
      expect(isIcebergError(e, "unsupported-feature")).toBe(true);
    }
  });
  it("parses FROM=TO (first = splits)", () => {
    expect(parseMapping("s3://a/b=/x=y")).toEqual({ from: "s3://a/b", to: "/x=y" });
    expect(() => parseMapping("nothing")).toThrow(/FROM=TO/);
  });
});
