/**
 * The production bundle's size: every emitted JS and CSS file, raw and gzipped (level 9, what a static
 * server sends with gzip), and the totals, as a Markdown table.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync, constants } from "node:zlib";

export interface AssetSize {
  file: string;
  rawBytes: number;
  gzipBytes: number;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export function measureBundle(outDir: string): AssetSize[] {
  return files(outDir)
    .filter((path) => /\.(js|css)$/.test(path))
    .map((path) => {
      const content = readFileSync(path);
      return {
        file: relative(outDir, path),
        rawBytes: content.length,
        gzipBytes: gzipSync(content, { level: constants.Z_BEST_COMPRESSION }).length,
      };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
}

const BYTES_PER_KIB = 1024;
const kib = (bytes: number) => (bytes / BYTES_PER_KIB).toFixed(1);

export function bundleTable(sizes: readonly AssetSize[]): string {
  const rows = sizes.map((s) => `| ${s.file} | ${kib(s.rawBytes)} | ${kib(s.gzipBytes)} |`);
  const js = sizes.filter((s) => s.file.endsWith(".js"));
  const total = (list: readonly AssetSize[], key: "rawBytes" | "gzipBytes") => list.reduce((sum, s) => sum + s[key], 0);
  return [
    "| file | raw KiB | gzip KiB |",
    "| --- | ---: | ---: |",
    ...rows,
    `| **all JS** | ${kib(total(js, "rawBytes"))} | **${kib(total(js, "gzipBytes"))}** |`,
    `| all JS + CSS | ${kib(total(sizes, "rawBytes"))} | ${kib(total(sizes, "gzipBytes"))} |`,
  ].join("\n");
}
