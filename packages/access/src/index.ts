export { type ProcessSpec, type WildDuckProcessOptions, wildduckProcess, wildduckRoot } from './wildduck.js';
