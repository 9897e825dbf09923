// Exports of the hessian-free solver group (filled by its implementation).
export {};
