export * from './daily-dose.js';
export * from './history.js';
export * from './identify.js';
export * from './summary.js';
export * from './tables.js';
export * from './tolerance.js';
