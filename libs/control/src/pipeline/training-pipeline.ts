import type { Observable } from 'rxjs';
import { Subject, Subscription, filter, map, mergeMap, zip } from 'rxjs';
import type { Finding } from '@bilevel/streams';
import type { CertificateResult, PipelineStages, PolicyState, VerifierResult } from './pipeline-stages';
import { acceptsCertificate } from './pipeline-stages';
import { pipelineFindings } from './training-findings';

/** Why a pipeline stopped by itself. */
export type PipelineStop = 'certified' | 'diverged' | 'stalled';

/** θ_k with the certificate stream's answer for it. */
export interface CertificateVersion {
  readonly iteration: number;
  readonly policy: PolicyState;
  readonly certificate: CertificateResult | null;
}

/** One iteration as the verifier stream closes it: θ_k, its certificate, the verdict, and whether the run stops. */
export interface PipelineEvent extends CertificateVersion {
  /** The verdict on the certificate (null when the certificate stage claimed none). */
  readonly verdict: VerifierResult | null;
  /** Set when the run stops at this iteration; null to go on. */
  readonly stop: PipelineStop | null;
}

/** The three coupled streams of a training run. */
export interface TrainingPipeline {
  /** Versions θ_0, θ_1, … as the policy stream publishes them. */
  readonly policy$: Observable<PolicyState>;
  /** c*(θ_k) and the certificate, as the certificate stream publishes them. */
  readonly certificate$: Observable<CertificateVersion>;
  /** Completed iterations (the verifier stream's output). */
  readonly event$: Observable<PipelineEvent>;
  /**
   * The verdicts and stream troubles as runtime-monitor findings ({@link pipelineFindings}), the channel and format
   * of `withMonitors` in @bilevel/streams, so that one report format covers solver runs and trainings.
   */
  readonly findings$: Observable<Finding>;
  /** Publishes θ_0; call once, after subscribing. */
  start(): void;
  /** One clock tick: the policy stream takes one upper-level step if the last event asks for one. */
  tick(t: number): void;
  /** Stops the streams. */
  readonly subscription: Subscription;
}

/**
 * Wires the joint training of a policy and its certificate (Wang, Zhan, Wang, Huang, Wang, Yang, Zhu, "Joint
 * differentiable optimization and verification for certified reinforcement learning", ICCPS 2023) as three RxJS
 * streams coupled through observable state, the way libs/streams couples the inner, linear-system and outer
 * streams:
 *
 *   policy$      = zip(clock ticks, event$ ▹ not stopped) ▹ map(policy stage)        θ_{k+1} from θ_k, c*(θ_k), verdict
 *   certificate$ = policy$ ▹ map(certificate stage)                                   c*(θ_k), β*(θ_k), ∂c* / ∂θ
 *   event$       = certificate$ ▹ map(verifier stage when a certificate is claimed)    verdict, stop?
 *
 * The streams are wiring only: each stage is a plain synchronous function of the state it receives, so any stage
 * can be swapped (another verifier, another lower level) without touching the others. A tick triggers at most
 * one upper-level step, so the synchronous feedback loop never recurses. The run stops itself when a certificate
 * is claimed and the verifier accepts it ('certified'), or when the policy stage reports 'diverged' or 'stalled'
 * (for a diverged θ the certificate stage is not called). A stage that throws ends the streams with its error.
 *
 * @example
 * const p = trainingPipeline({ policy, certificate, verifier }, init);
 * p.event$.subscribe((e) => console.log(e.iteration, e.certificate?.cStar));
 * p.start();
 * for (let t = 0; t < 100; t++) p.tick(t);
 */
export function trainingPipeline(stages: PipelineStages, init: PolicyState): TrainingPipeline {
  const fn = 'trainingPipeline';
  for (const k of ['policy', 'certificate', 'verifier'] as const) {
    if (typeof stages?.[k] !== 'function') throw new TypeError(`${fn}: stages.${k} must be a function, received ${typeof stages?.[k]}`);
  }
  if (!(init?.theta instanceof Float64Array)) throw new TypeError(`${fn}: init.theta must be a Float64Array`);
  const clock = new Subject<number>();
  const policy = new Subject<PolicyState>();
  const certificate = new Subject<CertificateVersion>();
  const event = new Subject<PipelineEvent>();
  const subscription = new Subscription();

  subscription.add(
    policy
      .pipe(map((p): CertificateVersion => ({ iteration: p.iteration, policy: p, certificate: p.status === 'running' ? stages.certificate(p.theta, p) : null })))
      .subscribe(certificate),
  );
  subscription.add(
    certificate
      .pipe(
        map((c): PipelineEvent => {
          const verdict = c.certificate?.found ? stages.verifier(c.policy.theta, c.certificate) : null;
          let stop: PipelineStop | null = null;
          if (c.policy.status !== 'running') stop = c.policy.status;
          else if (c.certificate?.found && acceptsCertificate(verdict)) stop = 'certified';
          return { ...c, verdict, stop };
        }),
      )
      .subscribe(event),
  );
  subscription.add(
    zip(
      clock,
      event.pipe(filter((e) => e.stop === null)),
    )
      .pipe(map(([, e]) => stages.policy(e.policy, e.certificate, e.verdict)))
      .subscribe(policy),
  );
  let started = false;
  return {
    policy$: policy.asObservable(),
    certificate$: certificate.asObservable(),
    event$: event.asObservable(),
    findings$: event.pipe(mergeMap((e) => pipelineFindings(e))),
    start() {
      if (started) throw new Error(`${fn}: start() was already called`);
      started = true;
      policy.next(init);
    },
    tick(t) {
      clock.next(t);
    },
    subscription,
  };
}
