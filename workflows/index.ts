// The worker's `workflowsPath`: every workflow the worker runs is exported here.
export { matchWorkflow } from './match';
