#!/usr/bin/env node
// Makes sure Debian's Chromium is there for the browser tests (Playwright never downloads one),
// and the Vulkan loader that WebGPU in Node (Dawn, for the fused-kernel tests) needs to reach
// Chromium's SwiftShader driver. Installs them with apt-get when running as root; otherwise stops
// with the exact command to run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

const missing = [];
if (!existsSync(CHROMIUM)) missing.push('chromium');
if (process.platform === 'linux' && !VULKAN_LOADERS.some((p) => existsSync(p))) missing.push('libvulkan1');

if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`The tests need Debian's ${missing.join(' and ')} (Chromium for the browser tests, libvulkan1 for WebGPU in Node); install with:\n\n  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n\n(or set CHROMIUM_PATH to a Chromium binary).`);
    process.exit(1);
  }
  console.log(`missing ${missing.join(', ')}: installing with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (!existsSync(CHROMIUM)) {
    console.error(`apt-get finished but ${CHROMIUM} is still missing.`);
    process.exit(1);
  }
}
