// Starts Swagger UI on the /docs page of identity.web.ui_pages: a file, not an inline script,
// so the page's Content-Security-Policy can refuse every inline script. The settings are
// FastAPI's; the page names the OpenAPI document and the OAuth2 redirect in data attributes.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    oauth2RedirectUrl: window.location.origin + root.dataset.oauth2RedirectUrl,
    // No badge fetched from validator.swagger.io: the page talks to our origin only.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
