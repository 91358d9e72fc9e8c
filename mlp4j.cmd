@echo off
rem The mlp4j command line on Windows (train, eval, predict), like ./mlp4j: builds
rem cli\target\mlp4j-cli-<version>.jar with the Maven wrapper when it is missing, then runs it with the
rem Vector API module enabled. Works from any directory.
rem   mlp4j.cmd train
rem   mlp4j.cmd --help
rem Extra JVM options: set MLP4J_JAVA_OPTS=-Xmx4g
setlocal EnableExtensions
set "MLP4J_HERE=%~dp0"
if "%MLP4J_HERE:~-1%"=="\" set "MLP4J_HERE=%MLP4J_HERE:~0,-1%"

rem The project version: the first <version> of the parent pom (its own, before any dependency's).
set "MLP4J_VERSION="
for /f "usebackq delims=" %%v in (`powershell -NoProfile -Command "([xml](Get-Content -LiteralPath '%MLP4J_HERE%\pom.xml')).project.version"`) do set "MLP4J_VERSION=%%v"
if not defined MLP4J_VERSION (
  echo mlp4j: cannot read the version from %MLP4J_HERE%\pom.xml 1>&2
  exit /b 1
)
set "MLP4J_JAR=%MLP4J_HERE%\cli\target\mlp4j-cli-%MLP4J_VERSION%.jar"

if exist "%MLP4J_JAR%" goto run
echo mlp4j: building cli\target\mlp4j-cli-%MLP4J_VERSION%.jar with the Maven wrapper (the first build downloads Maven and its plugins: about a minute) ... 1>&2
pushd "%MLP4J_HERE%"
call mvnw.cmd -B -ntp -q package -DskipTests -pl cli -am 1>&2
set "MLP4J_BUILD=%ERRORLEVEL%"
popd
if not "%MLP4J_BUILD%"=="0" (
  echo mlp4j: the build failed 1>&2
  exit /b 1
)
if not exist "%MLP4J_JAR%" (
  echo mlp4j: build finished but %MLP4J_JAR% was not produced 1>&2
  exit /b 1
)

:run
set "MLP4J_JAVA=java"
if defined JAVA_HOME set "MLP4J_JAVA=%JAVA_HOME%\bin\java"
"%MLP4J_JAVA%" --add-modules jdk.incubator.vector -Djava.awt.headless=true "-Dmlp4j.home=%MLP4J_HERE%" %MLP4J_JAVA_OPTS% -jar "%MLP4J_JAR%" %*
exit /b %ERRORLEVEL%
