<?php
// A minimal Symfony HttpFoundation front controller for the nocontent frameworks lab
// (python -m nocontent lab capture), served by PHP's built-in server:
//   php -S 127.0.0.1:PORT symfony_204.php
// HttpFoundation comes from Debian's php-symfony-http-foundation (its autoloader below).
require_once 'Symfony/Component/HttpFoundation/autoload.php';

use Symfony\Component\HttpFoundation\JsonResponse;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

$request = Request::createFromGlobals();
switch ($request->getPathInfo()) {
    case '/idiomatic':
        // The idiomatic 204, sent the way a Symfony front controller sends every response.
        $response = new Response('', Response::HTTP_NO_CONTENT);
        $response->prepare($request);
        break;
    case '/mistake':
        // The mistake of symfony/symfony#29326: a JsonResponse with 204. JsonResponse(null)
        // renders {}. prepare() strips it since that fix.
        $response = new JsonResponse(null, Response::HTTP_NO_CONTENT);
        $response->prepare($request);
        break;
    case '/mistake-unprepared':
        // The same JsonResponse sent without prepare(), as hand-rolled front controllers do.
        $response = new JsonResponse(null, Response::HTTP_NO_CONTENT);
        break;
    case '/names':
        $response = new JsonResponse([
            'Response::HTTP_NO_CONTENT' => Response::HTTP_NO_CONTENT,
            'Response::$statusTexts[204]' => Response::$statusTexts[204],
            'php' => PHP_VERSION,
        ]);
        break;
    default:
        $response = new Response('ok', 200, ['Content-Type' => 'text/plain']);
        $response->prepare($request);
}
$response->send();
