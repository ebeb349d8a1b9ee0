// The status condition every Herald CRD carries (metav1.Condition's shape; the types Herald
// writes are in names.ts). One type for all of them (issue #9).
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}
