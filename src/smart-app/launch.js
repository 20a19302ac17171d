// EHR launch: the EHR opened this page with ?iss=...&launch=...; fhirclient
// discovers the authorization server and redirects there, with PKCE (S256)
// and a state key of full strength.
FHIR.oauth2.authorize({
  clientId: 'pain-app',
  scope: 'launch openid fhirUser patient/*.read patient/DetectedIssue.write patient/Goal.write patient/QuestionnaireResponse.write patient/Observation.write patient/CarePlan.write patient/MedicationRequest.write',
  redirectUri: 'index.html',
  pkceMode: 'required',
  stateKey: crypto.randomUUID(),
}).catch((e) => {
  document.querySelector('[role=status]').textContent = `The app could not start: ${e.message}`;
});
