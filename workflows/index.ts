// The worker's `workflowsPath`: every workflow the worker runs is exported here.
export { coordinatorDigestWorkflow } from './digest';
export { matchWorkflow } from './match';
export { signInEmailWorkflow } from './sign-in';
export { webhookDeliveryWorkflow } from './webhook-delivery';
