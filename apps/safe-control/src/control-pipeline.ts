// The pipeline API of @bilevel/control that the app uses, in one place.
export { polyTrack, runTrainingPipeline, sampledVerifierStage, soundVerifierStage } from '@bilevel/control';
export type { CertificateResult, PipelineEvent, VerifierResult, VerifierStage } from '@bilevel/control';
