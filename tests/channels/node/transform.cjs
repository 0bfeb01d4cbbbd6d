// Transform an XForm (read from standard input) with Enketo's own
// transformer, as Enketo Express does, and print the result as JSON:
// {"form": "<form …>", "model": "<model …>", "languageMap": {…}}.
// Any error exits non-zero with the message on standard error.
const { transform } = require('enketo-transformer');

let xform = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { xform += chunk; });
process.stdin.on('end', () => {
    transform({ xform })
        .then((result) => {
            process.stdout.write(JSON.stringify({
                form: result.form,
                model: result.model,
                languageMap: result.languageMap,
                transformerVersion: result.transformerVersion,
            }));
        })
        .catch((error) => {
            process.stderr.write(String((error && error.stack) || error));
            process.exit(1);
        });
});
