// The pipeline API of @bilevel/control that the app uses, in one place.
export { barrierVerifierResult, finalFindings, neuralTrack, polyTrack, runTrainingPipeline, sampledVerifierStage, soundVerifierStage } from '@bilevel/control';
export type { CertificateResult, PipelineEvent, PolicyState, VerifierResult, VerifierStage } from '@bilevel/control';
