// The API viewer's starter: Swagger UI (swagger-ui-bundle.js, loaded before this file)
// rendering this issuer's own description. A file, not an inline script: the page's
// Content-Security-Policy allows scripts from this origin only.
window.ui = window.SwaggerUIBundle({
	url: new URL('../openapi.json', document.baseURI).href,
	dom_id: '#api',
	deepLinking: true,
	docExpansion: 'list',
	validatorUrl: null, // no request to a third-party validator
});
