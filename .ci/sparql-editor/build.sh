#!/bin/sh
# Rebuild kg/web/static/sparql-editor.js from the pinned packages (package-lock.json), offline after `npm ci`.
# The bundle is committed: the server never runs npm, and nothing is loaded from a CDN.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
./node_modules/@esbuild/linux-x64/bin/esbuild editor.mjs --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --outfile=../../kg/web/static/sparql-editor.js
