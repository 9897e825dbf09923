// The training run as an RxJS pipeline of swappable stages (policy, certificate, verifier); the lead wires these
// exports into index.ts.
export type { PolicyState, CertificateResult, BarrierFit, VerifierResult, VerifierBoxes, PolicyStage, CertificateStage, VerifierStage, PipelineStages } from './pipeline/pipeline-stages';
export { acceptsCertificate } from './pipeline/pipeline-stages';
export type { PipelineStop, CertificateVersion, PipelineEvent, TrainingPipeline } from './pipeline/training-pipeline';
export { trainingPipeline } from './pipeline/training-pipeline';
export type { RunPipelineOptions, PipelineResult } from './pipeline/run-training-pipeline';
export { runTrainingPipeline } from './pipeline/run-training-pipeline';
export type { JointPolicyStage } from './pipeline/joint-policy-stage';
export { jointPolicyStage } from './pipeline/joint-policy-stage';
export type { LpCertificateStageOptions } from './pipeline/lp-certificate-stage';
export { lpCertificateStage } from './pipeline/lp-certificate-stage';
export type { SampledVerifierStageOptions } from './pipeline/sampled-verifier-stage';
export { sampledVerifierStage } from './pipeline/sampled-verifier-stage';
export type { PolyTrackOptions, PolyTrack } from './pipeline/poly-track';
export { polyTrack, noCertificateStage } from './pipeline/poly-track';
export type { SoundVerifierStageOptions } from './pipeline/sound-verifier-stage';
export { SOUND_VERIFIER_MAX_BOXES, SOUND_VERIFIER_MAX_SECONDS, soundVerifierStage } from './pipeline/sound-verifier-stage';
export { TRAINING_MONITORS, barrierVerdictFindings, finalFindings, pipelineFindings } from './pipeline/training-findings';
export type { NeuralTrackOptions, NeuralTrack } from './pipeline/neural-track';
export { neuralTrack, barrierVerifierResult } from './pipeline/neural-track';
