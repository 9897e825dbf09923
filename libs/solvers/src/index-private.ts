// Exports of the private solver group (filled by its implementation).
export {};
