export * from './cyp2d6.js';
export * from './input.js';
export * from './models.js';
export * from './rk4.js';
export * from './run.js';
export * from './simulate.js';
