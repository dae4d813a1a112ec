export { type ProcessSpec, wildduckProcess, wildduckRoot } from './wildduck.js';
