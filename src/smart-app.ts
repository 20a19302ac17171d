import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { PROJECT_ROOT } from './paths.js';

/**
 * Serves the SMART app (src/smart-app/: plain HTML, CSS and JavaScript
 * modules, no build step) with its two browser libraries from the installed
 * packages: fhirclient's browser bundle and jose's web build. No request
 * leaves for a CDN.
 */
const require = createRequire(import.meta.url);
const APP_DIR = path.join(PROJECT_ROOT, 'src', 'smart-app');

export function smartAppRouter(): express.Router {
  const router = express.Router();
  router.use('/vendor/fhir-client.min.js', (_req, res) => res.sendFile(path.join(path.dirname(require.resolve('fhirclient/package.json')), 'build', 'fhir-client.min.js')));
  router.use('/vendor/jose', express.static(path.join(path.dirname(require.resolve('jose/package.json')), 'dist', 'webapi')));
  router.use(express.static(APP_DIR));
  return router;
}
