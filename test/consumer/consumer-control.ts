// The certified-control packages' declarations, type-checked as consumer.ts is, without the DOM library
// (tsconfig.control.json): the LP solver injected into CertificateLp has a type of their own (LpSolver), not HiGHS's,
// whose types.d.ts uses the WebAssembly namespace that Node's types (@types/node 20) do not declare.
import type * as control from '@bilevel/control';
import type * as safeControl from '@bilevel/safe-control';

export type Surfaces = [typeof control, typeof safeControl];
