// SPDX-License-Identifier: MIT
// A standard TUF client (tuf-js, the npm registry's) against an xdrv repository: refresh the
// metadata from a pinned root and download one target. Used by tests/e2e/repo_e2e.sh.
//   node repo_tuf_client.js TUFJS_DIR BASE_URL ROOT_JSON WORK_DIR TARGET_PATH
'use strict';
const fs = require('fs');
const path = require('path');
const [tufjsDir, base, rootFile, work, target] = process.argv.slice(2);
const { Updater } = require(path.join(tufjsDir, 'node_modules', 'tuf-js'));

(async () => {
  const metadataDir = path.join(work, 'metadata');
  const targetDir = path.join(work, 'targets');
  fs.mkdirSync(metadataDir, { recursive: true });
  fs.mkdirSync(targetDir, { recursive: true });
  fs.copyFileSync(rootFile, path.join(metadataDir, 'root.json'));
  const u = new Updater({
    metadataDir,
    metadataBaseUrl: base + '/metadata',
    targetDir,
    targetBaseUrl: base + '/targets',
  });
  await u.refresh();
  const info = await u.getTargetInfo(target);
  if (!info) {
    console.error(`tuf-js: target ${target} not found`);
    process.exit(1);
  }
  const file = await u.downloadTarget(info);
  console.log(`tuf-js: ${target} ${info.length} bytes -> ${file}`);
})().catch((e) => {
  console.error(`tuf-js: ${e.constructor.name}: ${e.message}`);
  process.exit(1);
});
