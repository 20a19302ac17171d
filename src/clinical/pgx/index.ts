export * from './activity-score.js';
export * from './analgesics.js';
export * from './assess.js';
export * from './fhir-results.js';
export * from './inhibitors.js';
export * from './phenotype.js';
export * from './tables.js';
export * from './paediatric.js';
